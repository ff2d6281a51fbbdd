/** Every error code of the wire protocol. */
export const ErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_JOINED: 'NOT_JOINED',
  STALE_EPOCH: 'STALE_EPOCH',
  ROOM_FULL: 'ROOM_FULL',
  NOT_FOUND: 'NOT_FOUND',
  REVISION_CONFLICT: 'REVISION_CONFLICT',
  BUSY: 'BUSY',
  LOCK_HELD: 'LOCK_HELD',
  LOCK_NOT_HELD: 'LOCK_NOT_HELD',
  RATE_LIMITED: 'RATE_LIMITED',
  OVERLOADED: 'OVERLOADED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes after which the same request may succeed later; not sent on the wire. */
export const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.BUSY,
  ErrorCode.UNAVAILABLE,
  ErrorCode.RATE_LIMITED,
  ErrorCode.OVERLOADED,
  ErrorCode.SHUTTING_DOWN,
]);
