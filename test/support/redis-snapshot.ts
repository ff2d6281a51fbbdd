import { Redis } from 'ioredis';

/**
 * Every key under `prefix` with its serialized value (DUMP), rate-limiter counters left
 * out unless asked for (refused handshakes are counted on purpose). Two equal snapshots
 * mean nothing was written in between (expiry times aside).
 */
export async function keyspace(
  url: string,
  prefix: string,
  { limiters = false } = {},
): Promise<Map<string, string>> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      keys.push(...batch.filter((key) => limiters || !key.startsWith(`${prefix}:rl:`)));
      cursor = next;
    } while (cursor !== '0');
    const dumps = await Promise.all(keys.map((key) => redis.dumpBuffer(key)));
    return new Map(keys.map((key, i) => [key, dumps[i]?.toString('hex') ?? '(gone)']));
  } finally {
    redis.disconnect();
  }
}

/** Keys whose value differs between two snapshots, or that exist in only one. */
export function changedKeys(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((key) => before.get(key) !== after.get(key)).sort();
}
