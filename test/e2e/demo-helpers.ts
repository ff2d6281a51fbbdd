import { existsSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
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

/**
 * A TCP relay in front of the server that can cut the network: `cut()` destroys every
 * connection through it and resets new ones until `restore()`. Chromium sees its sockets
 * reset, the server sees its connections close, as when a phone loses its network.
 * Playwright's `context.setOffline(true)` is no such cut: Chromium keeps an open
 * WebSocket open and only holds its frames until it is back online (microsoft/playwright#4910).
 */
export class NetworkCut {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private down = false;
  private port = 0;

  private constructor(private readonly target: number) {
    this.server = createServer((client) => this.relay(client));
  }

  static async start(targetPort: number): Promise<NetworkCut> {
    const proxy = new NetworkCut(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const address = proxy.server.address();
    proxy.port = typeof address === 'object' && address ? address.port : 0;
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  cut(): void {
    this.down = true;
    this.sockets.forEach((socket) => socket.resetAndDestroy());
  }

  restore(): void {
    this.down = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    if (this.down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
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
