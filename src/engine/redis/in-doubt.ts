import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { isNoScript } from '../../common/storage-deadline.js';

/**
 * How long after its first run a call may still be replayed. The scripts keep a done key
 * for much longer (see their callers), so a replay never runs a change twice.
 */
const REPLAY_WINDOW_MS = 10_000;

/** A request id for one engine call; every run of that call sends the same one. */
export function newRequestId(): string {
  return randomUUID();
}

/**
 * Runs `call` until its outcome is definite. A call whose connection closed before the
 * reply came (or that failed without a Redis error reply) may or may not have run: it is
 * run again, with the same request id, once the client is ready again, and the script's
 * done key turns a run that already happened into its stored reply. Redis error replies
 * and NOSCRIPT (the script did not run) are thrown as they are; the engine's deadline
 * bounds the whole.
 */
export async function untilDefinite<T>(redis: Redis, call: () => Promise<T>): Promise<T> {
  const until = Date.now() + REPLAY_WINDOW_MS;
  for (;;) {
    const outcome = await settle(redis, call);
    if (outcome.kind === 'reply') {
      return outcome.value;
    }
    if (!lostReply(outcome.error) || !(await readyAgain(redis, until - Date.now()))) {
      throw outcome.error;
    }
  }
}

type Outcome<T> = { kind: 'reply'; value: T } | { kind: 'failed'; error: unknown };

const CONNECTION_LOST = 'connection lost before the reply';

type ClientEvent = 'close' | 'ready' | 'end';

/** Waiters per client and event, behind one listener each, however many calls wait. */
const waiting = new WeakMap<Redis, Map<ClientEvent, Set<() => void>>>();

function watchers(redis: Redis, event: ClientEvent): Set<() => void> {
  let byEvent = waiting.get(redis);
  if (!byEvent) {
    byEvent = new Map();
    waiting.set(redis, byEvent);
  }
  let set = byEvent.get(event);
  if (!set) {
    const created = new Set<() => void>();
    redis.on(event, () => [...created].forEach((notify) => notify()));
    byEvent.set(event, created);
    set = created;
  }
  return set;
}

/** The call's reply, or its failure; a close of the connection first counts as a lost reply. */
async function settle<T>(redis: Redis, call: () => Promise<T>): Promise<Outcome<T>> {
  const closes = watchers(redis, 'close');
  let notify = (): void => {};
  const lost = new Promise<Outcome<T>>((resolve) => {
    notify = () => resolve({ kind: 'failed', error: new Error(CONNECTION_LOST) });
  });
  closes.add(notify);
  const answered = call().then(
    (value): Outcome<T> => ({ kind: 'reply', value }),
    (error: unknown): Outcome<T> => ({ kind: 'failed', error }),
  );
  try {
    return await Promise.race([answered, lost]);
  } finally {
    closes.delete(notify);
  }
}

/** Not an answer from Redis: the command may have run with its reply lost. */
function lostReply(error: unknown): boolean {
  if (isNoScript(error)) {
    return false;
  }
  return !(error instanceof Error && error.name === 'ReplyError');
}

/** True once the client is ready (at once when it is); false after `waitMs` or if it ends. */
function readyAgain(redis: Redis, waitMs: number): Promise<boolean> {
  if (waitMs <= 0) {
    return Promise.resolve(false);
  }
  if (redis.status === 'ready') {
    return Promise.resolve(true);
  }
  const ready = watchers(redis, 'ready');
  const ended = watchers(redis, 'end');
  return new Promise((resolve) => {
    const done = (isReady: boolean) => {
      clearTimeout(timer);
      ready.delete(onReady);
      ended.delete(onEnd);
      resolve(isReady);
    };
    const onReady = () => done(true);
    const onEnd = () => done(false);
    const timer = setTimeout(onEnd, waitMs);
    ready.add(onReady);
    ended.add(onEnd);
  });
}
