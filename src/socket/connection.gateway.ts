import { Logger } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import { CLIENT_EVENTS, ErrorCode, ServerEvent, fail } from '../common/protocol/index.js';
import { RealtimeMetrics } from '../metrics/realtime.metrics.js';
import { RealtimeEvents } from './realtime-events.js';
import type { AppServer, AppSocket } from './socket-types.js';

const MAX_ECHOED_EVENT_LENGTH = 64;

/**
 * Per-connection plumbing shared by every feature: binds the broadcaster to the server,
 * answers unknown events, and keeps a client-sent `error` event from crashing the
 * process (EventEmitter throws on an unhandled `error`).
 */
@WebSocketGateway()
export class ConnectionGateway implements OnGatewayInit<AppServer>, OnGatewayConnection<AppSocket> {
  private readonly logger = new Logger(ConnectionGateway.name);

  constructor(
    private readonly events: RealtimeEvents,
    private readonly metrics: RealtimeMetrics,
  ) {}

  afterInit(server: AppServer): void {
    this.events.bind(server);
  }

  handleConnection(socket: AppSocket): void {
    this.logger.debug({ msg: 'connected', socketId: socket.id, userId: socket.data.userId });
    this.metrics.connectionsTotal.inc({ result: 'accepted', reason: 'ok' });
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event !== 'string' || !CLIENT_EVENTS.has(event)) {
        this.metrics.events.inc({ event: 'unknown', outcome: ErrorCode.BAD_REQUEST });
        this.refuse(socket, String(event), 'unknown event', args);
      }
    });
    // A client-sent `error` is answered by onAny above; this listener only keeps it from
    // throwing, and logs the socket's own errors.
    socket.on('error', (err: unknown) => {
      if (err instanceof Error) {
        this.logger.warn({ msg: 'socket error', socketId: socket.id, err: err.message });
      }
    });
  }

  private refuse(socket: AppSocket, event: string, message: string, args: unknown[]): void {
    const ack = args[args.length - 1];
    const body = { code: ErrorCode.BAD_REQUEST, message };
    if (typeof ack === 'function') {
      (ack as (reply: unknown) => void)(fail(body));
    } else {
      socket.emit(ServerEvent.ServerError, {
        event: event.slice(0, MAX_ECHOED_EVENT_LENGTH),
        ...body,
      });
    }
  }
}
