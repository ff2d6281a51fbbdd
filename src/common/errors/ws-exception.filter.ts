import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { ErrorCode, ServerEvent, fail, type ErrorBody } from '../protocol/index.js';
import { AppError } from './app-error.js';

/**
 * Every failure of a request reaches the client exactly once: through its ack, or as
 * `server:error` when it sent none. Unknown exceptions are logged here and answered
 * INTERNAL with no detail. Replaces Nest's filter, which echoes the payload.
 */
@Catch()
export class WsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('WsExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const event = ws.getPattern();
    const client = ws.getClient<Socket>();
    const body = this.toBody(exception, event, client);
    const ack: unknown = host.getArgByIndex(2);
    if (typeof ack === 'function') {
      (ack as (reply: unknown) => void)(fail(body));
    } else {
      client.emit(ServerEvent.ServerError, { event, code: body.code, message: body.message });
    }
  }

  private toBody(exception: unknown, event: string, client: Socket): ErrorBody {
    if (exception instanceof AppError) {
      return exception.toBody();
    }
    const userId = (client.data as { userId?: string } | undefined)?.userId;
    this.logger.error(
      { event, userId, socketId: client.id, err: exception },
      exception instanceof Error ? exception.stack : String(exception),
    );
    return { code: ErrorCode.INTERNAL, message: 'internal error' };
  }
}
