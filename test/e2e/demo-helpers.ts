import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (CI installs it: `apt-get install chromium`). */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless Chromium as the tests run it; fails with a clear message when it is missing. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    return Promise.reject(
      new Error(
        `Chromium not found at ${CHROMIUM}: the demo page tests drive Debian's chromium ` +
          '(apt-get install chromium). CI installs it; install it here to run them.',
      ),
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

const testId = (id: string): string => `[data-testid="${id}"]`;

/** The member rows of one user on a demo page, by status. */
export const memberRow = (page: Page, userId: string, status?: 'online' | 'away') =>
  page.locator(
    `${testId('member')}[data-user-id="${userId}"]${status ? `[data-status="${status}"]` : ''}`,
  );

/** Opens the demo page at `baseUrl`, logs in as `userId` with a dev token and joins `roomId`. */
export async function openDemo(page: Page, baseUrl: string, userId: string, roomId: string) {
  await page.goto(`${baseUrl}/demo/`);
  await page.locator(testId('user-id')).fill(userId);
  await page.locator(testId('login-button')).click();
  await page.locator(testId('room-id')).fill(roomId);
  await page.locator(testId('join-button')).click();
  await memberRow(page, userId, 'online').waitFor();
}

/** Resolves once the element's text is `text` (the page renders from SDK events). */
export async function untilText(page: Page, id: string, text: string, timeout = 10_000) {
  await page.waitForFunction(
    ([selector, expected]) => document.querySelector(selector)?.textContent === expected,
    [testId(id), text] as const,
    { timeout },
  );
}

export { testId };
