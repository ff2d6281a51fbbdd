import type { ChainableCommander, Cluster, Redis } from 'ioredis';

/** The shared command client: one Redis server, or a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisClient = Redis | Cluster;

export const isCluster = (client: RedisClient): client is Cluster => client.isCluster;

/** One client per master: every master of a cluster, or the one server itself. */
export function masters(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/** A command of `sendEach`, written once for a pipeline and for the client itself. */
export type EachCall = (target: ChainableCommander | RedisClient) => unknown;

/**
 * Commands for keys in many hash slots, answered each with [error, reply] like a pipeline.
 * On one server they go as one pipeline; a cluster pipeline must stay within one slot, so
 * there each is sent on its own (and ioredis follows its redirects).
 */
export async function sendEach(
  client: RedisClient,
  calls: readonly EachCall[],
): Promise<[Error | null, unknown][]> {
  if (!isCluster(client)) {
    const pipeline = client.pipeline();
    calls.forEach((call) => call(pipeline));
    return (await pipeline.exec()) ?? [];
  }
  return Promise.all(
    calls.map((call) =>
      (call(client) as Promise<unknown>).then(
        (reply): [null, unknown] => [null, reply],
        (err: Error): [Error, undefined] => [err, undefined],
      ),
    ),
  );
}

/** Cluster replies that say the key is served elsewhere or is moving: nothing ran. */
const REDIRECT = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b/;

/**
 * A reply of a key that moved or is moving (cluster only), or an EXEC refused because a
 * queued command met one: safe to try again, nothing was written.
 */
export function isRedirect(err: unknown): boolean {
  if (!(err instanceof Error) || err.name !== 'ReplyError') {
    return false;
  }
  const previous = (err as { previousErrors?: unknown[] }).previousErrors ?? [];
  return REDIRECT.test(err.message) || previous.some(isRedirect);
}
