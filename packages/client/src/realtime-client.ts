import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { RealtimeError } from './errors.js';
import { tokenTimes } from './jwt.js';
import type {
  ClientLink,
  PushEvent,
  RequestEvent,
  RequestOptions,
  RequestPayload,
  RequestResult,
} from './link.js';
import type { ChannelMetadataOptions } from './metadata-change.js';
import { ChannelMetadataClient } from './metadata-client.js';
import { PresenceChannel, type PresenceHost, type PresenceOptions } from './presence-channel.js';
import {
  ErrorCode,
  type Ack,
  type ChannelRef,
  type ClientToServerEvents,
  type ServerShutdownNotice,
  type ServerToClientEvents,
} from './protocol/index.js';
import { Timers } from './timers.js';
import { webSocketTransport, type WebSocketLike } from './transport.js';

export type ClientStatus = 'connecting' | 'connected' | 'reconnecting' | 'closed';
/** Called for the first handshake, every reconnect and every refresh. */
export type TokenProvider = () => Promise<string>;

export interface RealtimeClientOptions {
  /** The server's URL, e.g. `https://realtime.example.com`. */
  url: string;
  /** A JWT, or a function that returns a fresh one (only then can the client refresh). */
  token: string | TokenProvider;
  /** Per request attempt, also the longest wait for a connection. Default 5000. */
  requestTimeoutMs?: number;
  /** Reconnect and retry backoff (jittered, exponential). Default 200 … 5000 ms. */
  reconnect?: Partial<BackoffOptions>;
  /** Retries of BUSY/RATE_LIMITED/OVERLOADED/SHUTTING_DOWN per request. Default 3. */
  retries?: number;
  /** A WebSocket-compatible constructor (WeChat: `wxWebSocket(wx)`); websocket transport only. */
  WebSocket?: WebSocketLike;
  /** Socket.IO path. Default `/socket.io`. */
  path?: string;
  /** Engine.IO transports, e.g. `['websocket']`; ignored when `WebSocket` is given. */
  transports?: ('polling' | 'websocket' | 'webtransport')[];
  /** More socket.io-client options; the client's own (auth, reconnection…) win. */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
}

export interface RealtimeClientEvents {
  /** Every change of `status`. */
  status: (status: ClientStatus) => void;
  /** A failure outside any request: a refused handshake (retried when `error.retryable`),
   * a failed refresh or resume. */
  error: (error: RealtimeError) => void;
  /** The server is going away (server:shutdown): the client reconnects after `reconnectAfterMs`. */
  shutdown: (notice: ServerShutdownNotice) => void;
  /** The server accepted a fresh token: `exp` in epoch seconds. */
  refresh: (exp: number) => void;
  /** Connected again after an outage, rooms resumed and reconnect hooks run. */
  reconnect: () => void;
}

type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
/** Who may send: nobody (no connection), resume requests, new requests, everyone. */
type Gate = 'down' | 'rooms' | 'hooks' | 'open';
interface Waiter {
  resolve: () => void;
  reject: (error: RealtimeError) => void;
  timer: ReturnType<typeof setTimeout>;
}

const RETRY_HANDSHAKE: ReadonlySet<string> = new Set<string>([
  ErrorCode.RATE_LIMITED,
  ErrorCode.OVERLOADED,
  ErrorCode.SHUTTING_DOWN,
]);
const REFRESH_MARGIN_MS = 30_000;
const LEAVE_ON_CLOSE_MS = 1000;

/**
 * The connection to an avalon-realtime server: handshake with a fresh token, reconnects
 * that resume every joined room, token refresh before `exp`, typed requests with timeouts
 * and retries, presence channels. Implements ClientLink for channel objects.
 */
export class RealtimeClient
  extends Emitter<RealtimeClientEvents>
  implements ClientLink, PresenceHost
{
  private readonly socket: AppSocket;
  private readonly timers = new Timers();
  private readonly requestTimeoutMs: number;
  private readonly retries: number;
  private readonly backoff: BackoffOptions;
  private currentStatus: ClientStatus = 'closed';
  private gate: Gate = 'down';
  private readonly waiters = new Set<Waiter>();
  private readonly channels = new Map<string, PresenceChannel>();
  private readonly metadataClients = new Map<string, ChannelMetadataClient>();
  private readonly hooks = new Set<() => Promise<void>>();
  private readonly socketListeners = new Set<() => void>();
  private connectWaiters: { resolve: () => void; reject: (error: RealtimeError) => void }[] = [];
  private everConnected = false;
  private finished = false;
  private isPaused = false;
  /** Bumped on every connect and disconnect: a resume of an older connection stops. */
  private generation = 0;
  private handshakeAttempt = 0;
  private unauthenticatedRetried = false;
  private shutdownNotice?: number;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private refreshTimer?: ReturnType<typeof setTimeout>;
  private token?: string;
  private tokenExpMs?: number;
  private tokenLifetimeMs = 0;

  constructor(private readonly options: RealtimeClientOptions) {
    super();
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.retries = options.retries ?? 3;
    this.backoff = {
      minDelayMs: options.reconnect?.minDelayMs ?? 200,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 5000,
    };
    if (typeof options.token === 'string') {
      this.useToken(options.token);
    }
    const transports = options.WebSocket
      ? { transports: [webSocketTransport(options.WebSocket)] }
      : options.transports
        ? { transports: options.transports }
        : {};
    this.socket = io(options.url, {
      ...options.socketOptions,
      ...(options.path ? { path: options.path } : {}),
      ...transports,
      autoConnect: false,
      forceNew: true,
      // socket.io-client reconnects after a lost transport by itself; the client adds
      // only what it does not do: after a server-side disconnect or a refused handshake.
      reconnection: true,
      reconnectionDelay: this.backoff.minDelayMs,
      reconnectionDelayMax: this.backoff.maxDelayMs,
      randomizationFactor: 0.5,
      auth: (send: (data: object) => void) => {
        void this.freshToken().then((token) => {
          if (!this.finished) {
            send({ token });
          }
        });
      },
    });
    this.subscribe('connect', () => void this.onConnect());
    this.subscribe('connect_error', (error: Error & { data?: { code?: string } }) =>
      this.onConnectError(error),
    );
    this.subscribe('disconnect', (reason: string) => this.onDisconnect(reason));
    this.subscribe('server:shutdown', (notice: ServerShutdownNotice) => {
      this.shutdownNotice = notice.reconnectAfterMs;
      this.emit('shutdown', notice);
    });
    this.subscribe('server:error', (notice: { code: string; message: string }) => {
      this.emit('error', new RealtimeError(notice.code as ErrorCode, notice.message, notice));
    });
  }

  get status(): ClientStatus {
    return this.currentStatus;
  }

  /** Paused by pause() (heartbeats and refresh stopped). */
  get paused(): boolean {
    return this.isPaused;
  }

  /** Connected, and every room resumed: requests go out at once. */
  get isOpen(): boolean {
    return this.gate === 'open' && this.socket.connected;
  }

  /**
   * Connects; resolves once connected. Rejects with a RealtimeError when the handshake is
   * refused for good (UNAUTHENTICATED twice, FORBIDDEN) or close() is called first;
   * RATE_LIMITED, OVERLOADED, SHUTTING_DOWN and network failures are retried meanwhile.
   */
  connect(): Promise<void> {
    if (this.finished) {
      return Promise.reject(closedError());
    }
    if (this.currentStatus === 'connected') {
      return Promise.resolve();
    }
    const connected = new Promise<void>((resolve, reject) =>
      this.connectWaiters.push({ resolve, reject }),
    );
    if (this.currentStatus === 'closed') {
      this.setStatus('connecting');
      this.socket.connect();
    }
    return connected;
  }

  /**
   * Sends a request and returns its ack's data, or throws its RealtimeError. Waits (within
   * the timeout) for a connection with every room resumed; retries the retryable codes
   * with jittered backoff; on UNAVAILABLE (a timeout included) calls readBeforeRetry when
   * given, else throws.
   */
  request<E extends RequestEvent>(
    event: E,
    payload: RequestPayload<E>,
    options: RequestOptions = {},
  ): Promise<RequestResult<E>> {
    return this.send(event, payload, options, false);
  }

  /** Internal (channels): sends on the connection at hand, before rooms have resumed. */
  requestDirect<E extends RequestEvent>(
    event: E,
    payload: RequestPayload<E>,
    options: RequestOptions = {},
  ): Promise<RequestResult<E>> {
    return this.send(event, payload, options, true);
  }

  /** Listens to a server push until the returned function is called. */
  listen<E extends PushEvent>(event: E, handler: ServerToClientEvents[E]): () => void {
    return this.subscribe(event, handler);
  }

  /** Runs after every reconnect, once rooms have resumed, before queued requests go out. */
  onReconnect(hook: () => Promise<void>): () => void {
    const entry = () => hook();
    this.hooks.add(entry);
    return () => {
      this.hooks.delete(entry);
    };
  }

  /**
   * The presence channel of a room: one per room while open. A second call returns the
   * open channel (BAD_REQUEST if it names another connId); after leave() a new one.
   */
  presence(roomId: string, options: PresenceOptions = {}): PresenceChannel {
    if (this.finished) {
      throw closedError();
    }
    const open = this.channels.get(roomId);
    if (open) {
      if (options.connId !== undefined && options.connId !== open.connId) {
        throw new RealtimeError(
          ErrorCode.BAD_REQUEST,
          `room ${roomId} already has a channel (connId ${open.connId}): leave it first`,
        );
      }
      return open;
    }
    const channel = new PresenceChannel(this, roomId, options);
    this.channels.set(roomId, channel);
    return channel;
  }

  /**
   * The metadata of a channel (a room's, or a user's): one client per channel, kept until
   * close(). Room channels are readable while this client is present in the room.
   */
  metadata(ref: ChannelRef, options?: ChannelMetadataOptions): ChannelMetadataClient {
    if (this.finished) {
      throw closedError();
    }
    const key = `${ref.channelType}:${ref.channelName}`;
    let client = this.metadataClients.get(key);
    if (!client || client.isDisposed) {
      client = new ChannelMetadataClient(this, ref, options);
      this.metadataClients.set(key, client);
    }
    return client;
  }

  /** Internal (channels): a closed channel is forgotten. */
  release(channel: PresenceChannel): void {
    if (this.channels.get(channel.roomId) === channel) {
      this.channels.delete(channel.roomId);
    }
  }

  /**
   * Sends auth:refresh with a fresh token from the provider now; → the new `exp` (epoch
   * seconds). A fixed string token cannot be refreshed: resolves with its exp, sends nothing.
   */
  async refreshToken(): Promise<number | undefined> {
    const previousMs = this.tokenExpMs;
    if (typeof this.options.token === 'string' || this.finished) {
      return previousMs !== undefined ? previousMs / 1000 : undefined;
    }
    const token = await this.freshToken();
    const { exp } = await this.request('auth:refresh', { token });
    this.tokenExpMs = exp * 1000;
    // A provider that hands back a cached token moves nothing: try again later, not at once.
    this.scheduleRefresh(
      previousMs !== undefined && this.tokenExpMs <= previousMs ? this.backoff.maxDelayMs : 0,
    );
    this.emit('refresh', exp);
    return exp;
  }

  /**
   * For an app going to the background (WeChat onHide, a hidden tab): stops heartbeats and
   * the refresh timer and leaves the transport alone (it may drop by itself).
   */
  pause(): void {
    if (this.finished || this.isPaused) {
      return;
    }
    this.isPaused = true;
    this.timers.clear(this.refreshTimer);
    this.channels.forEach((channel) => channel.pauseHeartbeats());
  }

  /**
   * Back in the foreground: a connection that is gone is made again at once (no backoff
   * wait) and rooms resume; a connection still up sends every room's heartbeat now.
   */
  resume(): void {
    if (this.finished || !this.isPaused) {
      return;
    }
    this.isPaused = false;
    if (this.socket.connected) {
      this.scheduleRefresh();
      this.channels.forEach((channel) => channel.beatNow());
    } else if (this.currentStatus !== 'closed') {
      this.timers.clear(this.retryTimer);
      // Not connected: disconnect() sends nothing, it only stops socket.io's backoff wait.
      this.socket.disconnect();
      this.socket.connect();
    }
  }

  /** Leaves every room (best effort, bounded), closes the socket; nothing is kept. */
  async close(): Promise<void> {
    if (this.finished) {
      return;
    }
    const channels = [...this.channels.values()];
    if (this.socket.connected) {
      await Promise.all(
        channels
          .filter((channel) => channel.joined && channel.connId !== undefined)
          .map((channel) =>
            this.requestDirect(
              'presence:leave',
              { roomId: channel.roomId, connId: channel.connId as string },
              { timeoutMs: Math.min(this.requestTimeoutMs, LEAVE_ON_CLOSE_MS), retries: 0 },
            ).catch(() => undefined),
          ),
      );
    }
    this.finish(closedError());
  }

  /** Test aid: what the client still holds (all 0 after close()). */
  openResources(): {
    socketListeners: number;
    timers: number;
    rooms: number;
    metadataClients: number;
    hooks: number;
    waitingRequests: number;
  } {
    return {
      socketListeners: this.socketListeners.size,
      timers: this.timers.size,
      rooms: this.channels.size,
      metadataClients: this.metadataClients.size,
      hooks: this.hooks.size,
      waitingRequests: this.waiters.size,
    };
  }

  private async send<E extends RequestEvent>(
    event: E,
    payload: RequestPayload<E>,
    options: RequestOptions,
    direct: boolean,
  ): Promise<RequestResult<E>> {
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const retries = options.retries ?? this.retries;
    for (let attempt = 0; ; attempt++) {
      if (!direct) {
        await this.whenOpen(timeoutMs);
      }
      let error: RealtimeError;
      try {
        const ack = await this.emitOnce(event, payload, timeoutMs);
        if (ack.ok) {
          return ack.data as RequestResult<E>;
        }
        error = RealtimeError.from(ack.error);
      } catch (cause) {
        if (this.finished) {
          throw closedError();
        }
        error = new RealtimeError(
          ErrorCode.UNAVAILABLE,
          `${event}: no answer within ${timeoutMs} ms (${(cause as Error).message}); it may or may not have been applied`,
        );
      }
      if (attempt >= retries || this.finished) {
        throw error;
      }
      if (error.retryable) {
        await this.timers.sleep(backoffDelay(attempt, this.backoff));
      } else if (error.code === ErrorCode.UNAVAILABLE && options.readBeforeRetry) {
        const known = await options.readBeforeRetry();
        if (known !== undefined) {
          return known as RequestResult<E>;
        }
      } else {
        throw error;
      }
      if (this.finished) {
        throw closedError();
      }
    }
  }

  /** One emit with an ack timeout, never buffered by socket.io for a later connection. */
  private emitOnce(event: string, payload: unknown, timeoutMs: number): Promise<Ack<unknown>> {
    return new Promise((resolve, reject) => {
      if (!this.socket.connected) {
        reject(new Error('not connected'));
        return;
      }
      const buffered = this.socket.sendBuffer.length;
      const raw = this.socket as unknown as Socket;
      raw
        .timeout(timeoutMs)
        .emit(event, payload, (err: Error | null, ack: Ack<unknown>) =>
          err ? reject(err) : resolve(ack),
        );
      if (this.socket.sendBuffer.length > buffered) {
        // The transport is dead (ping expired): it would go out on the next connection,
        // before rooms resume. Take it back; the disconnect that follows clears its ack.
        this.socket.sendBuffer.splice(buffered);
        reject(new Error('connection lost'));
      }
    });
  }

  private whenOpen(timeoutMs: number): Promise<void> {
    if (this.finished) {
      return Promise.reject(closedError());
    }
    if ((this.gate === 'open' || this.gate === 'hooks') && this.socket.connected) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: this.timers.set(() => {
          this.waiters.delete(waiter);
          reject(
            new RealtimeError(
              ErrorCode.UNAVAILABLE,
              `not connected within ${timeoutMs} ms (status ${this.currentStatus})`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  private async onConnect(): Promise<void> {
    const generation = ++this.generation;
    const reconnected = this.everConnected;
    this.everConnected = true;
    this.handshakeAttempt = 0;
    this.unauthenticatedRetried = false;
    this.shutdownNotice = undefined;
    this.gate = 'rooms';
    this.scheduleRefresh();
    await Promise.all([...this.channels.values()].map((channel) => channel.resumeAfterReconnect()));
    if (generation !== this.generation) {
      return;
    }
    this.gate = 'hooks';
    if (reconnected) {
      for (const hook of [...this.hooks]) {
        try {
          await hook();
        } catch (error) {
          this.emitError(error);
        }
        if (generation !== this.generation) {
          return;
        }
      }
    }
    this.gate = 'open';
    this.waiters.forEach((waiter) => {
      this.timers.clear(waiter.timer);
      waiter.resolve();
    });
    this.waiters.clear();
    this.setStatus('connected');
    this.connectWaiters.forEach((waiter) => waiter.resolve());
    this.connectWaiters = [];
    if (reconnected) {
      this.emit('reconnect');
    }
  }

  private onDisconnect(reason: string): void {
    this.generation++;
    this.gate = 'down';
    this.timers.clear(this.refreshTimer);
    if (this.finished || reason === 'io client disconnect') {
      return;
    }
    this.setStatus(this.everConnected ? 'reconnecting' : 'connecting');
    if (reason === 'io server disconnect') {
      // socket.io-client leaves this to the app: after server:shutdown wait the notice's
      // reconnectAfterMs (the server spreads the wave), else back off.
      const delay = this.shutdownNotice ?? backoffDelay(this.handshakeAttempt++, this.backoff);
      this.shutdownNotice = undefined;
      this.reconnectAfter(delay);
    }
  }

  private onConnectError(error: Error & { data?: { code?: string } }): void {
    if (this.finished || this.socket.active) {
      return; // a network failure: socket.io-client retries by itself
    }
    const code = error.data?.code ?? error.message;
    if (RETRY_HANDSHAKE.has(code)) {
      this.reconnectAfter(backoffDelay(this.handshakeAttempt++, this.backoff));
      this.emit('error', handshakeRefused(code as ErrorCode, error));
    } else if (
      code === ErrorCode.UNAUTHENTICATED &&
      typeof this.options.token === 'function' &&
      !this.unauthenticatedRetried
    ) {
      this.unauthenticatedRetried = true; // the provider's next token may be valid
      this.socket.connect();
    } else {
      const refused = handshakeRefused(
        (code in ErrorCode ? code : ErrorCode.UNAUTHENTICATED) as ErrorCode,
        error,
      );
      this.emit('error', refused);
      this.finish(refused);
    }
  }

  private reconnectAfter(delayMs: number): void {
    this.timers.clear(this.retryTimer);
    this.retryTimer = this.timers.set(() => {
      if (!this.finished) {
        this.socket.connect();
      }
    }, delayMs);
  }

  /**
   * Refreshes a margin before exp: 30 s or a tenth of the token's lifetime, the smaller;
   * not sooner than `notBeforeMs`. A failed refresh is tried again (the server ends the
   * socket at exp; the reconnect then takes a fresh token anyway).
   */
  private scheduleRefresh(notBeforeMs = 0): void {
    this.timers.clear(this.refreshTimer);
    const expMs = this.tokenExpMs;
    if (typeof this.options.token === 'string' || expMs === undefined || this.isPaused) {
      return;
    }
    const margin = Math.max(0, Math.min(REFRESH_MARGIN_MS, this.tokenLifetimeMs / 10));
    this.refreshTimer = this.timers.set(
      () => {
        this.refreshToken().catch((error: unknown) => {
          this.emitError(error);
          if (!this.finished && this.socket.connected) {
            this.scheduleRefresh(this.backoff.maxDelayMs);
          }
        });
      },
      Math.max(notBeforeMs, expMs - margin - Date.now()),
    );
  }

  /** A token from the provider (the last one if the provider fails). */
  private async freshToken(): Promise<string> {
    const source = this.options.token;
    if (typeof source === 'string') {
      return source;
    }
    try {
      const token = await source();
      this.useToken(token);
      return token;
    } catch (error) {
      this.emit(
        'error',
        new RealtimeError(ErrorCode.UNAUTHENTICATED, `token provider failed: ${String(error)}`),
      );
      return this.token ?? '';
    }
  }

  private useToken(token: string): void {
    this.token = token;
    const { exp, iat } = tokenTimes(token);
    this.tokenExpMs = exp !== undefined ? exp * 1000 : undefined;
    if (exp !== undefined) {
      this.tokenLifetimeMs = (exp - (iat ?? Date.now() / 1000)) * 1000;
    }
  }

  private subscribe(event: string, handler: (...args: never[]) => void): () => void {
    const raw = this.socket as unknown as Socket;
    const listener = handler as (...args: unknown[]) => void;
    raw.on(event, listener);
    const unsubscribe = () => {
      if (this.socketListeners.delete(unsubscribe)) {
        raw.off(event, listener);
      }
    };
    this.socketListeners.add(unsubscribe);
    return unsubscribe;
  }

  private setStatus(status: ClientStatus): void {
    if (status !== this.currentStatus) {
      this.currentStatus = status;
      this.emit('status', status);
    }
  }

  private emitError(error: unknown): void {
    this.emit(
      'error',
      error instanceof RealtimeError ? error : new RealtimeError(ErrorCode.INTERNAL, String(error)),
    );
  }

  /** The end: every channel closed, the socket closed, every timer and listener gone. */
  private finish(reason: RealtimeError): void {
    this.finished = true;
    this.generation++;
    this.gate = 'down';
    [...this.channels.values()].forEach((channel) => channel.close('closed', reason));
    this.channels.clear();
    this.metadataClients.forEach((client) => client.dispose());
    this.metadataClients.clear();
    this.socket.disconnect();
    [...this.socketListeners].forEach((unsubscribe) => unsubscribe());
    this.hooks.clear();
    this.waiters.forEach((waiter) => waiter.reject(reason));
    this.waiters.clear();
    this.timers.clearAll();
    this.connectWaiters.forEach((waiter) => waiter.reject(reason));
    this.connectWaiters = [];
    this.setStatus('closed');
    this.removeAllListeners();
  }
}

function handshakeRefused(code: ErrorCode, error: Error & { data?: unknown }): RealtimeError {
  const message = (error.data as { message?: string } | undefined)?.message ?? error.message;
  return new RealtimeError(code, `handshake refused: ${message}`, error.data);
}

function closedError(): RealtimeError {
  return new RealtimeError(ErrorCode.UNAVAILABLE, 'the client is closed');
}
