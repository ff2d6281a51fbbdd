import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { AppProcess } from '../support/app.js';
import { closeAll, connect } from '../support/client.js';

const SDK_DIST = fileURLToPath(new URL('../../packages/client/dist/', import.meta.url));
const SOCKET_IO_BUNDLE = join(
  createRequire(import.meta.url).resolve('socket.io-client/package.json'),
  '..',
  'dist',
  'socket.io.esm.min.js',
);
/** Module specifiers of `import … from`, `export … from`, `import '…'` and `import('…')`. */
const SPECIFIER = /(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g;

const specifiersOf = (code: string): string[] => [...code.matchAll(SPECIFIER)].map((m) => m[1]);

const postToken = (url: string, body: unknown): Promise<Response> =>
  fetch(`${url}/demo/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

async function statusOf(url: string, init?: RequestInit): Promise<number> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  await res.arrayBuffer();
  return res.status;
}

/** Every module the page loads, from app.js through the import map: URL → status. */
async function moduleGraph(base: string, importMap: Record<string, string>) {
  const seen = new Map<string, number>();
  const queue = [new URL('/demo/app.js', base).href];
  while (queue.length > 0) {
    const url = queue.shift() as string;
    if (seen.has(url)) {
      continue;
    }
    const res = await fetch(url);
    seen.set(url, res.status);
    const type = res.headers.get('content-type') ?? '';
    const code = await res.text();
    if (res.status !== 200 || !type.startsWith('text/javascript')) {
      continue;
    }
    for (const specifier of specifiersOf(code)) {
      const mapped = importMap[specifier];
      queue.push(new URL(mapped ?? specifier, mapped ? base : url).href);
    }
  }
  return seen;
}

describe('demo page over HTTP', () => {
  let dev: AppProcess;
  let devPageOff: AppProcess;
  let devWithSecret: AppProcess;
  let production: AppProcess;
  let productionPageOn: AppProcess;

  beforeAll(async () => {
    [dev, devPageOff, devWithSecret, production, productionPageOn] = await Promise.all([
      // No AUTH_JWT_SECRET: dev tokens are signed with the process's random secret.
      AppProcess.start({ env: { AUTH_JWT_SECRET: '', RATE_CONN_PER_MINUTE_PER_IP: '4' } }),
      AppProcess.start({ env: { AUTH_JWT_SECRET: '', DEMO_PAGE: 'off' } }),
      // the test harness's default: a real secret, NODE_ENV unset (development)
      AppProcess.start(),
      AppProcess.start({ env: { NODE_ENV: 'production' } }),
      AppProcess.start({ env: { NODE_ENV: 'production', DEMO_PAGE: 'on' } }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(
      [dev, devPageOff, devWithSecret, production, productionPageOn].map((app) => app?.kill()),
    );
  });

  it('serves the page at /demo/ (by default outside production) with safe headers', async () => {
    expect(await statusOf(`${dev.url}/demo`)).toBe(301);
    const res = await fetch(`${dev.url}/demo/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = res.headers.get('content-security-policy') ?? '';
    const html = await res.text();
    // The inline import map is allowed by its hash, and nothing else inline.
    const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(importMap).digest('base64');
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(csp).toContain("connect-src 'self' ws: wss:");
    expect(csp).toContain("default-src 'self'");
  });

  it('serves every module the page imports: its script, the SDK build and socket.io-client', async () => {
    const html = await (await fetch(`${dev.url}/demo/`)).text();
    const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '{}';
    const { imports } = JSON.parse(map) as { imports: Record<string, string> };
    const graph = await moduleGraph(dev.url, imports);
    expect([...graph.values()].every((status) => status === 200)).toBe(true);
    expect(graph.get(`${dev.url}/demo/sdk/index.js`)).toBe(200);
    // The Avalon table is a module of its own, imported by app.js.
    expect(graph.get(`${dev.url}/demo/game.js`)).toBe(200);
    const vendor = await fetch(`${dev.url}/demo/vendor/socket.io-client.js`);
    expect(vendor.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await vendor.text()).toBe(readFileSync(SOCKET_IO_BUNDLE, 'utf8'));
    expect(await statusOf(`${dev.url}/demo/style.css`)).toBe(200);
  });

  it("builds the SDK with no import but its own files and socket.io-client (the page's import map)", () => {
    const files = readdirSync(SDK_DIST, { recursive: true, encoding: 'utf8' });
    const outside = files
      .filter((file) => file.endsWith('.js'))
      .flatMap((file) => specifiersOf(readFileSync(join(SDK_DIST, file), 'utf8')))
      .filter((specifier) => !/^\.\.?\/.*\.js$/.test(specifier));
    expect(new Set(outside)).toEqual(new Set(['socket.io-client']));
    expect(specifiersOf(readFileSync(SOCKET_IO_BUNDLE, 'utf8'))).toEqual([]);
  });

  it('mints dev tokens that the server accepts, for a user id only, an hour long', async () => {
    const res = await postToken(dev.url, { userId: 'alice' });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    const { sub, exp, iat } = decodeJwt(token);
    expect(sub).toBe('alice');
    expect((exp as number) - (iat as number)).toBe(3600);
    const socket = await connect(dev.url, 'alice', { token });
    closeAll(socket);
    for (const body of [{}, { userId: 'a b' }, { userId: 'x'.repeat(65) }, { userId: 'a', x: 1 }]) {
      expect((await postToken(dev.url, body)).status).toBe(400);
    }
  });

  it('limits dev tokens per address (RATE_CONN_PER_MINUTE_PER_IP)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await postToken(dev.url, { userId: `u${i}` });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    // A budget of 4 a minute (the previous test may have spent one): 200s, then 429s.
    expect(statuses.at(-1)).toBe(429);
    expect(statuses).toEqual([...statuses].sort());
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(3);
  });

  it('DEMO_PAGE=off: /demo and its dev tokens answer 404', async () => {
    for (const path of ['/demo', '/demo/', '/demo/app.js', '/demo/sdk/index.js']) {
      expect(await statusOf(`${devPageOff.url}${path}`)).toBe(404);
    }
    expect(await statusOf(`${devPageOff.url}/demo/vendor/socket.io-client.js`)).toBe(404);
    expect((await postToken(devPageOff.url, { userId: 'alice' })).status).toBe(404);
  });

  it('a server with AUTH_JWT_SECRET never mints tokens, even in development with the page on', async () => {
    expect(await statusOf(`${devWithSecret.url}/demo/`)).toBe(200);
    const res = await postToken(devWithSecret.url, { userId: 'alice' });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toMatch(/token"/);
  });

  it('production: no page by default, and never a dev token, even with DEMO_PAGE=on', async () => {
    expect(await statusOf(`${production.url}/demo/`)).toBe(404);
    expect(await statusOf(`${productionPageOn.url}/demo/`)).toBe(200);
    for (const app of [production, productionPageOn]) {
      const res = await postToken(app.url, { userId: 'alice' });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toMatch(/token"/);
    }
  });
});
