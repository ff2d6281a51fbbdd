import { Logger } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import { RealtimeMetrics } from '../metrics/realtime.metrics.js';
import { Limiters } from '../rate-limit/limiters.js';
import { ShutdownState } from '../shutdown/shutdown-state.js';
import { packetGuard } from './packet-guard.js';
import { RequestDispatcher } from './request-dispatcher.js';
import { RealtimeEvents } from './realtime-events.js';
import type { AppServer, AppSocket } from './socket-types.js';

/**
 * Per-connection plumbing shared by every feature: binds the broadcaster to the server
 * and puts every socket's events through the packet guard, which hands requests to the
 * dispatcher.
 */
@WebSocketGateway()
export class ConnectionGateway implements OnGatewayInit<AppServer>, OnGatewayConnection<AppSocket> {
  private readonly logger = new Logger(ConnectionGateway.name);

  constructor(
    private readonly events: RealtimeEvents,
    private readonly metrics: RealtimeMetrics,
    private readonly limiters: Limiters,
    private readonly dispatcher: RequestDispatcher,
    private readonly shutdown: ShutdownState,
  ) {}

  afterInit(server: AppServer): void {
    this.events.bind(server);
  }

  handleConnection(socket: AppSocket): void {
    this.metrics.connectionsTotal.inc({ result: 'accepted', reason: 'ok' });
    const who = { socketId: socket.id, userId: socket.data.userId };
    this.logger.log({ msg: 'connected', ...who });
    socket.once('disconnect', (reason) => {
      // A stop disconnects every socket at once and logs one line for all of them: a line
      // each would flood stdout as the process exits (and lose the last lines).
      if (!this.shutdown.active) {
        this.logger.log({ msg: 'disconnected', ...who, reason });
      }
    });
    socket.use(packetGuard(socket, this.limiters, this.metrics, this.dispatcher));
    // The guard keeps a client-sent `error` from reaching handlers; this listener keeps the
    // socket's own errors from throwing (EventEmitter throws on an unheard `error`).
    socket.on('error', (err: unknown) => {
      this.logger.warn({ msg: 'socket error', socketId: socket.id, err: String(err) });
    });
  }
}
