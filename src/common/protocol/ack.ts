import type { ErrorCode } from './error-codes.js';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** The one envelope every acknowledgement carries. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

export const ok = <T>(data: T): Ack<T> => ({ ok: true, data });
export const fail = (error: ErrorBody): Ack<never> => ({ ok: false, error });
