import { rawEmit } from './ops.js';
import type { TestSocket } from './client.js';

/** A deterministic PRNG, so a failing fuzz run can be replayed from its seed. */
export function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An object that really owns the key (a literal `{ __proto__: … }` sets the prototype). */
export const owning = (key: string, rest: Record<string, unknown>) => ({
  ...rest,
  ...(JSON.parse(`{"${key}":{"polluted":true}}`) as Record<string, unknown>),
});

export interface FuzzReply {
  /** What was sent, shortened, for the failure message. */
  sent: string;
  /** Every ack the client saw for it (exactly one is right). */
  acks: unknown[];
}

/**
 * Sends `total` requests made by `next` (event name and arguments, sent as they are) in
 * chunks of `chunk`, each chunk awaited; fails naming the silent ones if a chunk is not
 * answered within 10 s. Returns the replies by ack id.
 */
export async function sendFuzz(
  socket: TestSocket,
  total: number,
  chunk: number,
  next: () => [event: unknown, args: unknown[]],
  seed: number,
): Promise<Map<number, FuzzReply>> {
  const replies = new Map<number, FuzzReply>();
  for (let start = 0; start < total; start += chunk) {
    const waits: Promise<void>[] = [];
    for (let n = start; n < Math.min(total, start + chunk); n++) {
      const [event, args] = next();
      const sent = `${String(event).slice(0, 40)} ${JSON.stringify(args)?.slice(0, 160)}`;
      waits.push(
        new Promise((resolve) => {
          const entry = { sent, acks: [] as unknown[] };
          const ackId = rawEmit(socket, event, args, (reply) => {
            entry.acks.push(reply);
            resolve();
          });
          replies.set(ackId, entry);
        }),
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const unanswered = new Promise<void>((_resolve, reject) => {
      timer = setTimeout(() => {
        const silent = [...replies.values()].filter((r) => r.acks.length === 0);
        reject(new Error(`unanswered (seed ${seed}):\n${silent.map((r) => r.sent).join('\n')}`));
      }, 10_000);
    });
    try {
      await Promise.race([Promise.all(waits), unanswered]);
    } finally {
      clearTimeout(timer);
    }
  }
  return replies;
}
