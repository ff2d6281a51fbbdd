import { randomUUID } from 'node:crypto';
import { isCluster, type RedisClient } from '../../redis/redis-client.js';
import type { Deadline } from '../../common/deadline.js';
import { AppError } from '../../common/errors/app-error.js';

/**
 * In-doubt writes. When a connection drops after a command was sent, its reply is lost and
 * the command may or may not have run. The command client never resends by itself (see
 * RedisConnections); a write script instead takes a request id, keeps its reply under a
 * `done` key for a while, and answers a second call with the same id from that key. So the
 * caller may simply send the same call again once the client is back.
 */
export const newRequestId = (): string => randomUUID();

/** How long a write's `done` key answers repeats, as a multiple of the engine deadline. */
export const DONE_LIFETIME_FACTOR = 4;

/**
 * A failure after which the command may or may not have run: anything but an error reply
 * from Redis (NOSCRIPT included: the script did not run) or a refusal of ours.
 */
export const isInDoubt = (err: unknown): boolean =>
  err instanceof Error && err.name !== 'ReplyError' && !(err instanceof AppError);

/**
 * Runs `call`; when its outcome is in doubt, waits for the client to be ready again and
 * runs the same call (same request id: the `done` key answers if it had run), until it
 * gets a definite answer. Bounded by `deadline` (the caller's, from `withDeadline`): past
 * it, no call starts again. Without a deadline the first failure is final.
 */
export async function untilDefinite<T>(
  redis: RedisClient,
  deadline: Deadline | undefined,
  call: () => Promise<T>,
): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!deadline || !isInDoubt(err)) {
        throw err;
      }
      await readyAgain(redis, deadline);
    }
  }
}

/** Pause before sending again to a client that says it is ready (a cluster during failover). */
const READY_RETRY_PAUSE_MS = 25;

/** Callbacks waiting for a client's next `ready`, behind one listener per client. */
const waiting = new WeakMap<RedisClient, Set<() => void>>();

function readyWaiters(redis: RedisClient): Set<() => void> {
  let set = waiting.get(redis);
  if (!set) {
    const created = new Set<() => void>();
    redis.on('ready', () => [...created].forEach((wake) => wake()));
    waiting.set(redis, created);
    set = created;
  }
  return set;
}

/** Resolves when the client is ready, rejects once the deadline passed. */
function readyAgain(redis: RedisClient, deadline: Deadline): Promise<void> {
  return new Promise((resolve, reject) => {
    if (deadline.passed) {
      reject(new Error('deadline passed while the outcome was in doubt'));
      return;
    }
    if (redis.status === 'ready' && !isCluster(redis)) {
      resolve();
      return;
    }
    if (redis.status === 'ready') {
      // A cluster stays `ready` while one master fails over: pause instead of spinning.
      const cancel = deadline.onPass(() => {
        clearTimeout(timer);
        reject(new Error('deadline passed while the outcome was in doubt'));
      });
      const timer = setTimeout(() => {
        cancel();
        resolve();
      }, READY_RETRY_PAUSE_MS);
      return;
    }
    const waiters = readyWaiters(redis);
    let cancelOnPass = (): unknown => undefined;
    const settle = (ready: boolean) => () => {
      waiters.delete(onReady);
      cancelOnPass();
      if (ready) {
        resolve();
      } else {
        reject(new Error('deadline passed while the outcome was in doubt'));
      }
    };
    const onReady = settle(true);
    waiters.add(onReady);
    cancelOnPass = deadline.onPass(settle(false));
  });
}
