import type { ErrorCode } from '../../common/protocol/index.js';

/** A refused handshake: the client's `connect_error` has message = code, data = { code, message }. */
export const handshakeError = (code: ErrorCode, message: string): Error =>
  Object.assign(new Error(code), { data: { code, message } });
