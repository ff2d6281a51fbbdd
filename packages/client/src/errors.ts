import { ErrorCode, type ErrorBody } from './protocol/index.js';

/** Codes worth the same request again after a pause: the server wrote nothing. */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.BUSY,
  ErrorCode.RATE_LIMITED,
  ErrorCode.OVERLOADED,
  ErrorCode.SHUTTING_DOWN,
]);

/** Every failure the SDK reports: a protocol error code, its message and details. */
export class RealtimeError extends Error {
  override readonly name = 'RealtimeError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  static from(body: ErrorBody): RealtimeError {
    return new RealtimeError(body.code, body.message, body.details);
  }

  get retryable(): boolean {
    return RETRYABLE_CODES.has(this.code);
  }
}
