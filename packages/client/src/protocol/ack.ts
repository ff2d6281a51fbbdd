import type { ErrorCode } from './error-codes.js';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** The one envelope every acknowledgement carries. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
