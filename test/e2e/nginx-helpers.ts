import { Agent } from 'node:http';
import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  JoinResult,
  PresenceEvent,
  RoomMessage,
  ServerShutdownNotice,
} from '@avalon-realtime/client/protocol';
import type { AppProcess } from '../support/app.js';
import { getJson } from '../support/ops.js';
import { tokenFor } from '../support/tokens.js';

export type Transport = 'websocket' | 'polling';

export interface RoomClientOptions {
  transports: Transport[];
  /** Loopback source address (127.0.0.x): a client "from another address" to nginx. */
  localAddress?: string;
  heartbeatEveryMs?: number;
}

/**
 * A client as the protocol asks, through nginx: joins `roomId` on every connection with
 * the same connId; on `server:shutdown` reconnects after `reconnectAfterMs`; a
 * SHUTTING_DOWN refusal is retried; heartbeats while connected. Records what a person
 * would notice: joins, refusals, disconnects, presence events, room messages.
 */
export class RoomClient {
  readonly socket: Socket;
  readonly joins: JoinResult[] = [];
  readonly refusals: string[] = [];
  readonly notices: ServerShutdownNotice[] = [];
  readonly disconnects: string[] = [];
  readonly presence: PresenceEvent[] = [];
  readonly messages: RoomMessage[] = [];
  private joinedHere = false;
  private reconnectAfterMs = 0;
  private stopped = false;
  private readonly waiters = new Set<() => void>();
  private readonly timer: NodeJS.Timeout;

  private constructor(
    url: string,
    token: string,
    readonly roomId: string,
    readonly connId: string,
    options: RoomClientOptions,
  ) {
    const { transports, localAddress } = options;
    this.socket = io(url, {
      auth: { token },
      transports,
      forceNew: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
      // websocket: `ws` takes localAddress; polling: the XHR takes an http.Agent
      ...(localAddress ? { localAddress, agent: new Agent({ localAddress }) } : {}),
    } as Parameters<typeof io>[1]);
    this.listen();
    this.timer = setInterval(() => this.heartbeat(), options.heartbeatEveryMs ?? 1000);
  }

  static async open(
    url: string,
    userId: string,
    roomId: string,
    options: RoomClientOptions,
  ): Promise<RoomClient> {
    const client = new RoomClient(url, await tokenFor(userId), roomId, `${userId}-c`, options);
    try {
      await client.joined();
    } catch (err) {
      // a client that never joined must not keep reconnecting after the test
      client.close();
      throw err;
    }
    return client;
  }

  get transport(): string | undefined {
    return this.socket.io.engine?.transport?.name;
  }

  /** Resolves once connected and joined on the current connection, `times` joins in all. */
  joined(times = 1, timeoutMs = 10_000): Promise<void> {
    return this.until(
      () => this.socket.connected && this.joinedHere && this.joins.length >= times,
      () =>
        `${this.connId}: ${this.joins.length} joins, refused [${this.refusals.join(',')}], ` +
        `disconnects [${this.disconnects.join(',')}], connected ${this.socket.connected}, ` +
        `active ${this.socket.active}, engine ${this.socket.io.engine?.readyState}`,
      timeoutMs,
    );
  }

  /** Resolves once a room message of `type` has arrived. */
  heard(type: string, timeoutMs = 5000): Promise<void> {
    return this.until(
      () => this.messages.some((m) => m.type === type),
      () => `${this.connId} heard no ${type}`,
      timeoutMs,
    );
  }

  /** Resolves once presence says `connId` is in the room (a join or resume). */
  saw(connId: string, timeoutMs = 5000): Promise<void> {
    return this.until(
      () => this.presence.some((e) => e.connId === connId && e.type !== 'leave'),
      () => `${this.connId} saw no join of ${connId}`,
      timeoutMs,
    );
  }

  request<T>(event: string, payload: unknown): Promise<Ack<T>> {
    return this.socket.timeout(5000).emitWithAck(event, payload) as Promise<Ack<T>>;
  }

  close(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.socket.close();
  }

  private listen(): void {
    const { socket } = this;
    socket.on('connect', () => {
      this.joinedHere = false;
      void this.join();
    });
    socket.on('server:shutdown', (notice: ServerShutdownNotice) => {
      this.notices.push(notice);
      this.reconnectAfterMs = notice.reconnectAfterMs;
    });
    socket.on('disconnect', (reason) => {
      this.disconnects.push(reason);
      // the server ended the session itself: socket.io-client leaves reconnecting to us
      if (reason === 'io server disconnect') {
        this.later(this.reconnectAfterMs);
      }
      this.changed();
    });
    socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      const code = err.data?.code;
      if (code) {
        this.refusals.push(code);
      }
      // A stopping process still took the handshake (least_conn saw it emptying): drop
      // that connection, so the next one is a new handshake that nginx places again.
      if (code === 'SHUTTING_DOWN') {
        this.socket.io.engine?.close();
        this.later(200);
      }
    });
    socket.on('presence:event', (event: PresenceEvent) => {
      this.presence.push(event);
      this.changed();
    });
    socket.on('room:message', (message: RoomMessage) => {
      this.messages.push(message);
      this.changed();
    });
  }

  private async join(): Promise<void> {
    // a join sent as the connection closed may get no answer: the next connection joins
    const ack = await this.request<JoinResult>('presence:join', {
      roomId: this.roomId,
      connId: this.connId,
    }).catch(() => undefined);
    if (ack?.ok) {
      this.joins.push(ack.data);
      this.joinedHere = true;
    } else if (ack) {
      this.refusals.push(`join: ${ack.error.code}`);
    }
    this.changed();
  }

  private heartbeat(): void {
    // Like any real client: a socket that stopped trying is connected again. After a
    // failed open socket.io-client retries only when its backoff was reset, so a refusal
    // that raced the old process's close can leave it closed and idle for good.
    const idle = !this.socket.connected && this.socket.io.engine?.readyState === 'closed';
    if (!this.stopped && idle) {
      this.socket.disconnect().connect();
    }
    const session = this.joins.at(-1);
    if (this.socket.connected && this.joinedHere && session) {
      const { roomId, connId, epoch } = session;
      this.socket.emit('presence:heartbeat', { roomId, connId, epoch }, () => {});
    }
  }

  private later(delayMs: number): void {
    setTimeout(() => !this.stopped && this.socket.connect(), delayMs);
  }

  private changed(): void {
    this.waiters.forEach((wake) => wake());
  }

  private until(done: () => boolean, explain: () => string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done()) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(explain()));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

/** How many Socket.IO connections `app` holds (its /stats, asked directly, not via nginx). */
export async function connectionsOn(app: AppProcess): Promise<number> {
  const { body } = await getJson<{ connections: number }>(app.url, '/stats');
  return body.connections;
}

/**
 * One websocket handshake from `localAddress` with `token` (and extra headers); resolves
 * with `connected` or the refusal's code.
 */
export async function handshake(
  url: string,
  token: string,
  options: { localAddress: string; headers?: Record<string, string> },
): Promise<string> {
  const socket = io(url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    localAddress: options.localAddress,
    ...(options.headers ? { extraHeaders: options.headers } : {}),
  } as Parameters<typeof io>[1]);
  try {
    return await new Promise<string>((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (err: Error & { data?: { code?: string } }) =>
        resolve(err.data?.code ?? err.message),
      );
    });
  } finally {
    socket.close();
  }
}
