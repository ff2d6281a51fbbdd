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

/**
 * Every call ends within `timeoutMs` and fails only with an AppError. Work that outlives
 * the deadline may still land: that is what UNAVAILABLE tells the caller. Work that
 * failed with NOSCRIPT did not run and is tried again (ioredis then sends it as EVAL).
 */
export async function withDeadline<T>(timeoutMs: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(toAppError(undefined)), timeoutMs);
  });
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
  try {
    return await Promise.race([attempt(NOSCRIPT_RETRIES), deadline]);
  } catch (err) {
    throw toAppError(err);
  } finally {
    clearTimeout(timer);
  }
}
