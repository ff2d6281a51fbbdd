import { Logger } from '@nestjs/common';
import { ErrorCode, type ErrorBody } from '@avalon-realtime/client/protocol';
import { AppError } from './app-error.js';

const logger = new Logger('RequestFailure');

/** Who sent the request that failed: what the log names next to an unknown error. */
export interface FailedRequest {
  event: string;
  socketId: string;
  userId?: string;
}

/**
 * What the client is told about a failure: an AppError as it is; anything else is logged
 * here with its stack and answered INTERNAL with no detail.
 */
export function failureBody(exception: unknown, request: FailedRequest): ErrorBody {
  if (exception instanceof AppError) {
    return exception.toBody();
  }
  logger.error(
    { ...request, err: exception },
    exception instanceof Error ? exception.stack : String(exception),
  );
  return { code: ErrorCode.INTERNAL, message: 'internal error' };
}
