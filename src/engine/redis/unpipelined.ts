import type { Redis } from 'ioredis';

/**
 * Commands the client sends on their own instead of through ioredis auto-pipelining. Each
 * auto-pipelined call of a tick builds an ioredis Pipeline, which copies every script
 * defined on the client (≈4 KB with the 15 scripts here); one heartbeat is usually alone
 * in its tick, and measured with 3,000 sockets each of those Pipelines ended up in V8's
 * old generation (≈2 MB promoted per scavenge instead of ≈0.6 MB without them), which is
 * what made a joined socket on Redis cost 2.5× bare Socket.IO in RSS.
 */
export function sendUnpipelined(redis: Redis, commands: readonly string[]): void {
  const ignored = redis.options.autoPipeliningIgnoredCommands ?? [];
  // A new array: ioredis shares its default one between clients.
  redis.options.autoPipeliningIgnoredCommands = [...new Set([...ignored, ...commands])];
}
