import { setTimeout as sleep } from 'node:timers/promises';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { isRedirect, REDIRECT_PAUSE_MS } from '../common/storage-deadline.js';

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
 * there each is sent on its own and auto-pipelining groups them per master.
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
  return Promise.all(calls.map((call) => sendRedirected(client, call)));
}

/** Redirects a cluster command may meet before its slot settles (see isRedirect). */
const MAX_REDIRECTS = 25;

/** One command on a cluster, sent again while its replies say it did not run. */
async function sendRedirected(client: Cluster, call: EachCall): Promise<[Error | null, unknown]> {
  for (let redirects = 0; ; redirects++) {
    try {
      return [null, await call(client)];
    } catch (err) {
      if (!isRedirect(err) || redirects >= MAX_REDIRECTS) {
        return [err as Error, undefined];
      }
      await sleep(REDIRECT_PAUSE_MS);
    }
  }
}
