import { Injectable, Logger } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { setTimeout as wait } from 'node:timers/promises';
import { ServerEvent } from '../common/protocol/index.js';
import { AppConfig } from '../config/app-config.js';
import { HeartbeatSender } from '../presence/heartbeat-sender.js';
import { RealtimeEvents } from '../socket/realtime-events.js';
import { ShutdownState } from './shutdown-state.js';

const SOCKET_CLOSE_WAIT_MS = 1000;

/**
 * The graceful part of a stop, before the app closes: refuse newcomers, tell every
 * local socket to reconnect elsewhere (each after its own jittered delay, spreading the
 * wave), wait the grace period, close the sockets without touching their presence (they
 * resume on another process within the TTL), and flush pending heartbeats.
 */
@Injectable()
export class ShutdownService {
  private readonly logger = new Logger(ShutdownService.name);

  constructor(
    private readonly state: ShutdownState,
    private readonly events: RealtimeEvents,
    private readonly heartbeats: HeartbeatSender,
    private readonly config: AppConfig,
  ) {}

  async drain(reason: string): Promise<void> {
    this.state.begin();
    const grace = this.config.get('SHUTDOWN_GRACE_MS');
    const jitter = this.config.get('SHUTDOWN_RECONNECT_JITTER_MS');
    const sockets = this.events.localSockets();
    this.logger.log({ msg: 'shutdown: refusing new connections', reason, sockets: sockets.length });
    for (const socket of sockets) {
      socket.emit(ServerEvent.ServerShutdown, {
        message: 'server restarting: reconnect and join again with the same connId',
        reconnectAfterMs: randomInt(0, jitter + 1),
      });
    }
    await wait(grace);
    // Flush before closing, so a heartbeat waiting in its batch still gets its ack.
    await this.heartbeats.drain();
    this.logger.log({ msg: 'shutdown: heartbeats flushed, closing sockets, presence kept' });
    const closed = sockets.map(
      (socket) => new Promise((resolve) => socket.conn.once('close', resolve)),
    );
    sockets.forEach((socket) => socket.disconnect(true));
    // Let the disconnect frames reach the clients before the process goes.
    await Promise.race([Promise.all(closed), wait(SOCKET_CLOSE_WAIT_MS)]);
    await this.heartbeats.drain();
  }
}
