import { AppError } from './errors/app-error.js';
import { ErrorCode } from './protocol/index.js';

/** Storage trouble (connection, timeout, unexpected reply) never leaks past an engine. */
export const toAppError = (err: unknown): AppError =>
  err instanceof AppError ? err : new AppError(ErrorCode.UNAVAILABLE, 'storage unavailable');

/**
 * Every call ends within `timeoutMs` and fails only with an AppError. Work that outlives
 * the deadline may still land: that is what UNAVAILABLE tells the caller.
 */
export async function withDeadline<T>(timeoutMs: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(toAppError(undefined)), timeoutMs);
  });
  try {
    return await Promise.race([work(), deadline]);
  } catch (err) {
    throw toAppError(err);
  } finally {
    clearTimeout(timer);
  }
}
