import { Deadline } from './deadline.js';
import { AppError } from './errors/app-error.js';
import { ErrorCode } from '@avalon-realtime/client/protocol';

/** Storage trouble (connection, timeout, unexpected reply) never leaks past an engine. */
export const toAppError = (err: unknown): AppError =>
  err instanceof AppError ? err : new AppError(ErrorCode.UNAVAILABLE, 'storage unavailable');

/** Redis had no such script (flushed or restarted): the script did not run. */
export const isNoScript = (err: unknown): boolean =>
  err instanceof Error && err.message.includes('NOSCRIPT');

/** Reloads after a NOSCRIPT that ioredis's own single resend did not cover. */
const NOSCRIPT_RETRIES = 3;
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
 * `work` receives the deadline, and hands it to every call that might start late (see
 * untilDefinite). Given an `outer` deadline (one per request, e.g. a heartbeat's from its
 * submission), that one counts instead of a new one; once it passed, nothing starts.
 * Passed by hand rather than through AsyncLocalStorage, whose promise hooks would slow
 * every promise of the process; the memory engine needs no deadline at all.
 */
export function withDeadline<T>(
  timeoutMs: number,
  work: (deadline: Deadline) => Promise<T>,
  outer?: Deadline,
): Promise<T> {
  if (outer) {
    if (outer.passed) {
      return Promise.reject(toAppError(undefined)); // its caller was answered: start nothing
    }
    return attempt(() => work(outer), NOSCRIPT_RETRIES).catch((err: unknown) =>
      Promise.reject(toAppError(err)),
    );
  }
  const deadline = new Deadline();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      deadline.pass();
      reject(toAppError(undefined));
    }, timeoutMs);
    attempt(() => work(deadline), NOSCRIPT_RETRIES).then(
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
