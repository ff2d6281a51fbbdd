import { Injectable, Logger } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { setTimeout as wait } from 'node:timers/promises';
import { ServerEvent } from '../common/protocol/index.js';
import { AppConfig } from '../config/app-config.js';
import { HeartbeatSender } from '../presence/heartbeat-sender.js';
import { RealtimeEvents } from '../socket/realtime-events.js';
import type { AppSocket } from '../socket/socket-types.js';
import { shutdownBudget, within } from './shutdown-budget.js';
import { ShutdownState } from './shutdown-state.js';

/** The Engine.IO parts a forced close needs (ws's `terminate()` drops the TCP socket). */
interface EngineTransport {
  name: string;
  socket?: { terminate?: () => void };
}
interface EngineConnection {
  readyState: string;
  transport?: EngineTransport;
  close(discard?: boolean): void;
}

/**
 * The graceful part of a stop, before the app closes: refuse newcomers, tell every
 * local socket to reconnect elsewhere (each after its own jittered delay, spreading the
 * wave), wait the grace period, flush pending heartbeats, disconnect the sockets without
 * touching their presence (they resume on another process within the TTL), and after a
 * short wait terminate every transport still open: a client that stopped reading never
 * answers a close handshake, and would hold the process for ws's 30 s close timeout.
 */
@Injectable()
export class ShutdownService {
  private readonly logger = new Logger(ShutdownService.name);
  private step = 'not started';
  private sockets: AppSocket[] = [];

  constructor(
    private readonly state: ShutdownState,
    private readonly events: RealtimeEvents,
    private readonly heartbeats: HeartbeatSender,
    private readonly config: AppConfig,
  ) {}

  async drain(reason: string): Promise<void> {
    this.state.begin();
    const budget = shutdownBudget(this.config);
    const jitter = this.config.get('SHUTDOWN_RECONNECT_JITTER_MS');
    const sockets = (this.sockets = this.events.localSockets());
    this.logger.log({ msg: 'shutdown: refusing new connections', reason, sockets: sockets.length });
    for (const socket of sockets) {
      socket.emit(ServerEvent.ServerShutdown, {
        message: 'server restarting: reconnect and join again with the same connId',
        reconnectAfterMs: randomInt(0, jitter + 1),
      });
    }
    this.step = 'grace period';
    await wait(budget.graceMs);
    // Flush before closing, so a heartbeat waiting in its batch still gets its ack.
    await this.flushHeartbeats(budget.flushMs);
    this.logger.log({ msg: 'shutdown: closing sockets, presence kept' });
    await this.closeSockets(sockets, budget.closeWaitMs);
    await this.flushHeartbeats(budget.flushMs);
    this.step = 'closing the app';
  }

  /** What the stop is waiting for, for the watchdog's log line. */
  pending(): { step: string; openTransports: number } {
    return { step: this.step, openTransports: openConnections(this.sockets).length };
  }

  /** Disconnects, waits up to `waitMs` for the transports to close, then terminates the rest. */
  private async closeSockets(sockets: AppSocket[], waitMs: number): Promise<void> {
    this.step = 'closing sockets';
    const closed = sockets.map(
      (socket) => new Promise((resolve) => socket.conn.once('close', resolve)),
    );
    sockets.forEach((socket) => socket.disconnect(true));
    // Let the disconnect frames reach the clients that still read.
    await within(Promise.all(closed), waitMs);
    const open = openConnections(sockets);
    open.forEach(terminate);
    this.logger.log({
      msg: 'shutdown: sockets closed',
      sockets: sockets.length,
      terminated: open.length,
    });
  }

  private async flushHeartbeats(ms: number): Promise<void> {
    this.step = 'flushing heartbeats';
    if (!(await within(this.heartbeats.drain(), ms))) {
      this.logger.warn({ msg: 'shutdown: heartbeat flush timed out', timeoutMs: ms });
    }
  }
}

function openConnections(sockets: AppSocket[]): EngineConnection[] {
  return sockets
    .map((socket) => socket.conn as unknown as EngineConnection)
    .filter((conn) => conn.readyState !== 'closed');
}

/** Drops a transport without a close handshake: the TCP socket of a websocket, a poll's request. */
function terminate(conn: EngineConnection): void {
  if (conn.transport?.name === 'websocket') {
    conn.transport.socket?.terminate?.();
  }
  conn.close(true);
}
