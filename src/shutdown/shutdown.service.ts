import { Injectable, Logger } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { setImmediate as yieldToLoop, setTimeout as wait } from 'node:timers/promises';
import { ServerEvent } from '@avalon-realtime/client/protocol';
import { AppConfig } from '../config/app-config.js';
import { HeartbeatSender } from '../presence/heartbeat-sender.js';
import { RealtimeEvents } from '../socket/realtime-events.js';
import type { AppSocket } from '../socket/socket-types.js';
import { shutdownBudget, within } from './shutdown-budget.js';
import { ShutdownState } from './shutdown-state.js';

/** The Engine.IO parts a forced close needs (ws's `terminate()` drops the TCP socket). */
interface EngineTransport {
  name: string;
  socket?: { readyState: number; terminate(): void; once(event: 'close', fn: () => void): void };
}
const WS_CLOSED = 3;
/**
 * Sockets handled between two turns of the event loop: a terminated transport runs its
 * socket's cleanup (a third of a millisecond here), so 10,000 at once would hold the loop
 * for seconds, past every deadline and the watchdog.
 */
const CHUNK = 100;
interface EngineConnection {
  readyState: string;
  transport?: EngineTransport;
  close(discard?: boolean): void;
  once(event: 'close', fn: () => void): void;
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
    const graceEnds = Date.now() + this.config.get('SHUTDOWN_GRACE_MS');
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
    // The grace counts from the signal: telling 10,000 sockets takes a while.
    await wait(Math.max(0, graceEnds - Date.now()));
    // Flush before closing, so a heartbeat waiting in its batch still gets its ack.
    await this.flushHeartbeats(budget.flushMs);
    this.logger.log({ msg: 'shutdown: disconnecting sockets, presence kept' });
    await this.closeSockets(sockets, budget.closeWaitMs);
    await this.flushHeartbeats(budget.flushMs);
    this.step = 'closing the app';
  }

  /** What the stop is waiting for, for the watchdog's log line. */
  pending(): { step: string; openTransports: number } {
    return { step: this.step, openTransports: openConnections(this.sockets).length };
  }

  /**
   * Sends every socket its DISCONNECT packet, waits up to `waitMs` (counted from the first
   * one) for the clients to close their transports, then terminates every transport still
   * open. Only the packet is sent at first: each client then closes its side and the
   * socket's cleanup runs as its transport closes, spread over the wait instead of holding
   * the loop for all sockets at once (about a third of a millisecond each).
   */
  private async closeSockets(sockets: AppSocket[], waitMs: number): Promise<void> {
    this.step = 'closing sockets';
    const deadline = Date.now() + waitMs;
    const closed = openConnections(sockets).map(closing);
    const told = await inChunks(sockets, Infinity, sendDisconnect);
    await within(Promise.all(closed), Math.max(0, deadline - Date.now()));
    const open = openConnections(sockets);
    // Logged before the work: with thousands to terminate, the watchdog may end it.
    this.logger.log({
      msg: 'shutdown: terminating transports still open',
      sockets: sockets.length,
      disconnectSent: told,
      terminating: open.length,
    });
    this.step = 'terminating transports';
    await inChunks(open, Infinity, terminate);
  }

  private async flushHeartbeats(ms: number): Promise<void> {
    this.step = 'flushing heartbeats';
    if (!(await within(this.heartbeats.drain(), ms))) {
      this.logger.warn({ msg: 'shutdown: heartbeat flush timed out', timeoutMs: ms });
    }
  }
}

/** Socket.IO's DISCONNECT packet type; `packet()` is the socket's own (private) sender. */
const DISCONNECT = 1;
interface PacketSender {
  packet(packet: { type: number }): void;
}

/** Socket.IO's per-connection client, whose close handler runs the sockets' cleanup. */
interface IoClient {
  /** Bound in Socket.IO's constructor: the very function registered on the transport. */
  onclose: (reason: string) => void;
}

/**
 * Sends the DISCONNECT and detaches Socket.IO's cleanup from the transport's close: the
 * process is about to exit, presence is kept anyway, and that cleanup (disconnect
 * handlers, a log line, room bookkeeping: about a third of a millisecond a socket) for
 * 10,000 sockets would hold the event loop past every deadline.
 */
function sendDisconnect(socket: AppSocket): void {
  if (socket.connected) {
    (socket as unknown as PacketSender).packet({ type: DISCONNECT });
    const client = socket.client as unknown as IoClient;
    socket.conn.off('close', client.onclose);
  }
}

/** Runs `each` over `items`, yielding to the event loop between chunks, until `deadline`. */
async function inChunks<T>(items: T[], deadline: number, each: (item: T) => void): Promise<number> {
  let done = 0;
  while (done < items.length && Date.now() < deadline) {
    items.slice(done, done + CHUNK).forEach(each);
    done = Math.min(items.length, done + CHUNK);
    await yieldToLoop();
  }
  return done;
}

function openConnections(sockets: AppSocket[]): EngineConnection[] {
  return sockets.map((socket) => socket.conn as unknown as EngineConnection).filter(isOpen);
}

/**
 * Engine.IO calls a websocket closed as soon as it has sent its close frame; the TCP
 * socket stays open until the peer answers (ws waits 30 s), so ask ws.
 */
function isOpen(conn: EngineConnection): boolean {
  const ws = conn.transport?.name === 'websocket' ? conn.transport.socket : undefined;
  return ws ? ws.readyState !== WS_CLOSED : conn.readyState !== 'closed';
}

/** Resolves when the transport's connection is closed, the TCP socket of a websocket included. */
function closing(conn: EngineConnection): Promise<void> {
  const ws = conn.transport?.name === 'websocket' ? conn.transport.socket : undefined;
  return new Promise((resolve) => (ws ?? conn).once('close', resolve));
}

/** Drops a transport without a close handshake: the TCP socket of a websocket, a poll's request. */
function terminate(conn: EngineConnection): void {
  if (conn.transport?.name === 'websocket') {
    conn.transport.socket?.terminate();
  }
  conn.close(true);
}
