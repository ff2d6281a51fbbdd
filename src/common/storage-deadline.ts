import { AsyncLocalStorage } from 'node:async_hooks';
import { Deadline } from './deadline.js';
import { AppError } from './errors/app-error.js';
import { ErrorCode } from './protocol/index.js';

/** Storage trouble (connection, timeout, unexpected reply) never leaks past an engine. */
export const toAppError = (err: unknown): AppError =>
  err instanceof AppError ? err : new AppError(ErrorCode.UNAVAILABLE, 'storage unavailable');

/** Redis had no such script (flushed or restarted): the script did not run. */
export const isNoScript = (err: unknown): boolean =>
  err instanceof Error && err.message.includes('NOSCRIPT');

/** Reloads after a NOSCRIPT that ioredis's own single resend did not cover. */
const NOSCRIPT_RETRIES = 3;

/** The deadline of the storage call running now: passed once its caller was answered. */
const deadlines = new AsyncLocalStorage<Deadline>();

/**
 * The deadline of the enclosing `withDeadline`, if any. Work that would start late (a retry
 * after a reconnect) checks it, so nothing runs after its caller was told UNAVAILABLE.
 */
export const currentDeadline = (): Deadline | undefined => deadlines.getStore();

/** Runs `work`, again after a NOSCRIPT (the script did not run; ioredis then sends EVAL). */
async function attempt<T>(work: () => Promise<T>, retries: number): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (retries > 0 && isNoScript(err)) {
      return attempt(work, retries - 1);
    }
    throw err;
  }
}

/**
 * Every call ends within `timeoutMs` and fails only with an AppError. Work that outlives
 * the deadline may still land: that is what UNAVAILABLE tells the caller. Work that
 * failed with NOSCRIPT did not run and is tried again (ioredis then sends it as EVAL).
 * Inside another `withDeadline` the outer deadline is the one that counts (one deadline
 * per request, e.g. a heartbeat's from its submission); once it passed, nothing starts.
 * Only storage that leaves the process needs this: the memory engine's calls end inside
 * the call, and the AsyncLocalStorage it enables tracks every promise of the process.
 */
export function withDeadline<T>(timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const outer = currentDeadline();
  if (outer) {
    if (outer.passed) {
      return Promise.reject(toAppError(undefined)); // its caller was answered: start nothing
    }
    return attempt(work, NOSCRIPT_RETRIES).catch((err: unknown) => Promise.reject(toAppError(err)));
  }
  const deadline = new Deadline();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      deadline.pass();
      reject(toAppError(undefined));
    }, timeoutMs);
    deadlines
      .run(deadline, () => attempt(work, NOSCRIPT_RETRIES))
      .then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(toAppError(err));
        },
      );
  });
}
