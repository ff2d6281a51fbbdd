import { AppProcess, FAST_PRESENCE, NO_RATE_LIMITS } from '../support/app.js';
import { uniquePrefix, type RedisServer } from '../support/redis-server.js';

/** Two processes on one Redis and one fresh prefix, FAST_PRESENCE timings unless `env` says otherwise. */
export async function startPair(
  redis: RedisServer,
  env: Record<string, string>,
): Promise<[AppProcess, AppProcess]> {
  const options = {
    redisUrl: redis.url,
    prefix: uniquePrefix(),
    env: { ...NO_RATE_LIMITS, ...FAST_PRESENCE, ...env },
  };
  const [a, b] = await Promise.all([AppProcess.start(options), AppProcess.start(options)]);
  return [a, b];
}
