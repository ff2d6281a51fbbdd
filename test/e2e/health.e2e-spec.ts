import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';

/** Polls /health/ready until it answers `status` (bounded; each try is a real request). */
async function readyStatusBecomes(
  url: string,
  status: number,
  timeoutMs = 10_000,
): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last: Response | undefined;
  while (Date.now() < deadline) {
    last = await fetch(`${url}/health/ready`);
    if (last.status === status) {
      return last;
    }
    await last.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`/health/ready stayed ${last?.status}, expected ${status}`);
}

describe('health endpoints', () => {
  let memoryApp: AppProcess;
  let redisApp: AppProcess;
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await RedisServer.start();
    [memoryApp, redisApp] = await Promise.all([
      AppProcess.start({ env: NO_RATE_LIMITS }),
      AppProcess.start({ redisUrl: redis.url, prefix: uniquePrefix(), env: NO_RATE_LIMITS }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([memoryApp?.kill(), redisApp?.kill()]);
    await redis?.stop();
  });

  it.each(['memory', 'redis'])(
    'answers /health/live and /health/ready with 200 on the %s engine',
    async (engine) => {
      const app = engine === 'memory' ? memoryApp : redisApp;
      const live = await fetch(`${app.url}/health/live`);
      expect(live.status).toBe(200);
      await live.arrayBuffer();
      const ready = await fetch(`${app.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok' });
    },
  );

  it('answers 503 naming the failing parts while Redis is down, and 200 once it is back', async () => {
    await redis.halt();
    try {
      const down = await readyStatusBecomes(redisApp.url, 503);
      const body = JSON.stringify(await down.json());
      expect(body).toMatch(/redis/);
      const live = await fetch(`${redisApp.url}/health/live`);
      expect(live.status).toBe(200);
      await live.arrayBuffer();
    } finally {
      await redis.launch();
    }
    const up = await readyStatusBecomes(redisApp.url, 200);
    expect(await up.json()).toEqual({ status: 'ok' });
  });
});
