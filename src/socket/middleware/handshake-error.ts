import { Logger } from '@nestjs/common';
import type { ErrorCode } from '@avalon-realtime/client/protocol';

const logger = new Logger('Handshake');

/**
 * A refused handshake, logged once with its reason: the client's `connect_error` has
 * message = code, data = { code, message }.
 */
export function handshakeError(code: ErrorCode, message: string): Error {
  logger.log({ msg: 'handshake refused', code, reason: message });
  return Object.assign(new Error(code), { data: { code, message } });
}
