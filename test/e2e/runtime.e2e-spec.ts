import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppProcess } from '../support/app.js';

// No Docker engine runs here: what the image promises is checked on its files, and the
// two programs it runs besides the server (health check, cache warm-up) run for real.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HEALTHCHECK = join(ROOT, 'dist/health/healthcheck.js');
const WARM = join(ROOT, 'dist/compile-cache-warm.js');

const run = (script: string, env: Record<string, string>): Promise<number> =>
  new Promise((resolve) => {
    execFile(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', ...env } }, (err) =>
      resolve(err ? Number(err.code ?? 1) : 0),
    );
  });

const hasCompileCache = (): boolean => {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 1);
};

describe('the production image', () => {
  it('builds and runs on Node 24 as a non-root user, node dist/main.js as PID 1, with a health check', async () => {
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
    expect(bases).toEqual(['node:24-bookworm-slim', 'node:24-bookworm-slim']);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
    expect(dockerfile).toMatch(/^ {2}CMD \["node", "dist\/health\/healthcheck\.js"\]$/m);
    expect(dockerfile).toMatch(/^RUN node dist\/compile-cache-warm\.js/m);
    const ignored = (await readFile(join(ROOT, '.dockerignore'), 'utf8')).split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist', '.env']));
  });

  it('says production is Node 24 while development keeps Node >= 20.19', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toBe('>=20.19');
    expect((await readFile(join(ROOT, '.nvmrc'), 'utf8')).trim()).toBe('24');
  });

  describe('health check (HEALTHCHECK)', () => {
    let app: AppProcess | undefined;

    afterEach(async () => {
      await app?.kill('SIGKILL');
      app = undefined;
    });

    it('is healthy once ready, unhealthy once shutting down', async () => {
      app = await AppProcess.start({ env: { SHUTDOWN_GRACE_MS: '10000' } });
      expect(await run(HEALTHCHECK, { PORT: String(app.port) })).toBe(0);
      app.child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const onData = (chunk: Buffer) => {
          if (chunk.toString().includes('refusing new connections')) {
            app?.child.stdout?.off('data', onData);
            resolve();
          }
        };
        app?.child.stdout?.on('data', onData);
      });
      expect(await run(HEALTHCHECK, { PORT: String(app.port) })).toBe(1);
    });

    it('is unhealthy when nothing answers on PORT', async () => {
      const closed = await AppProcess.start();
      const port = String(closed.port);
      await closed.kill('SIGKILL');
      expect(await run(HEALTHCHECK, { PORT: port })).toBe(1);
    });
  });

  it('fills the compile cache at build time without starting a server (a no-op before Node 22.1)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'compile-cache-'));
    try {
      expect(await run(WARM, { NODE_COMPILE_CACHE: dir, NODE_ENV: 'production' })).toBe(0);
      const written = await readdir(dir, { recursive: true });
      if (hasCompileCache()) {
        expect(written.length).toBeGreaterThan(500);
      } else {
        expect(written).toEqual([]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
