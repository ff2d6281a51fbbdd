import { AsyncLocalStorage } from 'node:async_hooks';
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

/** The deadline of the storage call running now: aborted once its caller was answered. */
const deadlines = new AsyncLocalStorage<AbortSignal>();

/**
 * The signal of the enclosing `withDeadline`, if any. Work that would start late (a retry
 * after a reconnect) checks it, so nothing runs after its caller was told UNAVAILABLE.
 */
export const currentDeadline = (): AbortSignal | undefined => deadlines.getStore();

/**
 * Every call ends within `timeoutMs` and fails only with an AppError. Work that outlives
 * the deadline may still land: that is what UNAVAILABLE tells the caller. Work that
 * failed with NOSCRIPT did not run and is tried again (ioredis then sends it as EVAL).
 * Inside another `withDeadline` the outer deadline is the one that counts (one deadline
 * per request, e.g. a heartbeat's from its submission); once it passed, nothing starts.
 */
export async function withDeadline<T>(timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const attempt = async (retries: number): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (retries > 0 && isNoScript(err)) {
        return attempt(retries - 1);
      }
      throw err;
    }
  };
  const outer = currentDeadline();
  if (outer) {
    if (outer.aborted) {
      throw toAppError(undefined); // its caller was answered already: start nothing
    }
    return attempt(NOSCRIPT_RETRIES).catch((err: unknown) => Promise.reject(toAppError(err)));
  }
  const expiry = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expiry.abort();
      reject(toAppError(undefined));
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      deadlines.run(expiry.signal, () => attempt(NOSCRIPT_RETRIES)),
      deadline,
    ]);
  } catch (err) {
    throw toAppError(err);
  } finally {
    clearTimeout(timer);
  }
}
