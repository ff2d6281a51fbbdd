import { TcpProxy } from '../support/tcp-proxy.js';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AppProcess } from '../support/app.js';
import { launchChromium, memberRow, openDemo, testId, untilText } from './demo-helpers.js';

/**
 * Short enough that a lost transport shows `away` at once, long enough that a reconnect
 * (the page's backoff tops out at 2 s) resumes before the TTL: away, never leave.
 */
const PRESENCE = {
  PRESENCE_TTL_MS: '8000',
  PRESENCE_HEARTBEAT_INTERVAL_MS: '1000',
  REAPER_INTERVAL_MS: '200',
  SOCKET_PING_INTERVAL_MS: '1000',
  SOCKET_PING_TIMEOUT_MS: '1000',
};
const CLICKS_EACH = 10;
/** What Chromium logs for connections refused while the network is cut (404s are not). */
const NETWORK_NOISE = /WebSocket connection to .* failed|net::ERR_/;
const ROOM = 'table-1';
const SCREENSHOTS = fileURLToPath(new URL('../../test-output/demo/', import.meta.url));

describe('demo page in Chromium', () => {
  let app: AppProcess;
  let proxy: TcpProxy;
  let browser: Browser;
  let contexts: BrowserContext[] = [];
  /** Alice reaches the server through the proxy (her network can be cut); Bob directly. */
  let alice: Page;
  let bob: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const [started, launched] = await Promise.allSettled([
      // no AUTH_JWT_SECRET: the page logs in with dev tokens
      AppProcess.start({ env: { ...PRESENCE, DEMO_PAGE: 'on', AUTH_JWT_SECRET: '' } }),
      launchChromium(),
    ]);
    app = started.status === 'fulfilled' ? started.value : (undefined as never);
    browser = launched.status === 'fulfilled' ? launched.value : (undefined as never);
    for (const outcome of [started, launched]) {
      if (outcome.status === 'rejected') {
        throw outcome.reason;
      }
    }
    proxy = await TcpProxy.start(app.port);
    contexts = await Promise.all([browser.newContext(), browser.newContext()]);
    contexts.forEach((context) => context.setDefaultTimeout(10_000));
    [alice, bob] = await Promise.all(contexts.map((context) => context.newPage()));
    for (const page of [alice, bob]) {
      page.on('pageerror', (error) => pageErrors.push(String(error)));
      page.on('console', (message) => {
        // Failed connections while the network is cut are logged too: not the page's errors.
        if (message.type() === 'error' && !NETWORK_NOISE.test(message.text())) {
          pageErrors.push(message.text());
        }
      });
    }
    await openDemo(alice, proxy.url, 'alice', ROOM);
    await openDemo(bob, app.url, 'bob', ROOM);
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await proxy?.stop();
    await app?.kill();
  });

  afterEach(() => {
    // CSP refusals, failed module loads and uncaught errors all land here.
    expect(pageErrors).toEqual([]);
  });

  it('shows both players online to each other, with the connection status', async () => {
    await memberRow(alice, 'bob', 'online').waitFor();
    await memberRow(bob, 'alice', 'online').waitFor();
    expect(await alice.locator(testId('status')).textContent()).toBe('connected as alice');
    expect(await bob.locator(testId('status')).textContent()).toBe('connected as bob');
  });

  it('carries chat messages both ways', async () => {
    await alice.locator(testId('chat-input')).fill('hello from alice');
    await alice.locator(testId('chat-send')).click();
    await bob.locator(testId('chat-message'), { hasText: 'alice: hello from alice' }).waitFor();
    await bob.locator(testId('chat-input')).fill('hi alice');
    await bob.locator(testId('chat-send')).click();
    await alice.locator(testId('chat-message'), { hasText: 'bob: hi alice' }).waitFor();
  });

  it(`ends a shared counter at exactly ${2 * CLICKS_EACH} after ${CLICKS_EACH} concurrent clicks on each page`, async () => {
    await untilText(alice, 'counter-value', '0');
    const clicks = [alice, bob].flatMap((page) =>
      Array.from({ length: CLICKS_EACH }, () => page.locator(testId('counter-increment')).click()),
    );
    await Promise.all(clicks);
    const total = String(2 * CLICKS_EACH);
    await Promise.all([
      untilText(alice, 'counter-value', total),
      untilText(bob, 'counter-value', total),
    ]);
    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const [name, page] of [
      ['alice', alice],
      ['bob', bob],
    ] as const) {
      const path = `${SCREENSHOTS}demo-${name}.png`;
      await page.screenshot({ path, fullPage: true });
      console.log(`demo page screenshot: ${path}`);
    }
  });

  it('shows a player whose network is cut as away, then online again, never leaving', async () => {
    const connId = await memberRow(bob, 'alice').getAttribute('data-conn-id');
    proxy.cut();
    await memberRow(bob, 'alice', 'away').waitFor({ timeout: 5000 });
    await untilText(alice, 'status', 'reconnecting as alice', 5000);
    proxy.restore();
    await untilText(alice, 'status', 'connected as alice');
    await memberRow(bob, 'alice', 'online').waitFor({ timeout: 5000 });
    expect(await memberRow(bob, 'alice').getAttribute('data-conn-id')).toBe(connId);
    const activity = bob.locator(`${testId('activity')} li`);
    expect(await activity.allTextContents()).toEqual(
      expect.arrayContaining(['alice is away', 'alice is online']),
    );
    expect(await activity.allTextContents()).not.toContain('alice left');
    // The counter survived the reconnect (re-read from the channel).
    await untilText(alice, 'counter-value', String(2 * CLICKS_EACH));
  });
});
