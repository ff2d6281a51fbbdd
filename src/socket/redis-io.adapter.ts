import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { ServerOptions } from 'socket.io';
import { JwtService } from '../auth/jwt.service.js';
import { AppConfig } from '../config/app-config.js';
import { StorageBackend } from '../engine/storage-backend.js';
import { RealtimeMetrics } from '../metrics/realtime.metrics.js';
import { ConnectionCapacity } from '../rate-limit/connection-capacity.js';
import { Limiters } from '../rate-limit/limiters.js';
import { PresenceExemption } from '../rate-limit/presence-exemption.js';
import { ShutdownState } from '../shutdown/shutdown-state.js';
import { authMiddleware } from './middleware/auth.middleware.js';
import { capacityMiddleware } from './middleware/capacity.middleware.js';
import {
  failedHandshakeRateMiddleware,
  validHandshakeRateMiddleware,
} from './middleware/connection-rate.middleware.js';
import { shutdownMiddleware } from './middleware/shutdown.middleware.js';
import { originAllowed } from './origin.js';
import type { AppServer } from './socket-types.js';

/**
 * Compress only frames worth it (over 1 KiB): small requests and acks cost more to deflate
 * than to send. ws honours the threshold only without context takeover, and keeps a
 * socket's zlib streams for the socket's life: with its defaults every frame was deflated
 * (a fifth of the server's CPU) and a socket held about 300 KB of zlib memory. The server's
 * window is 1 KiB (a response parameter the server may always set); the client's is left
 * to the client, since requiring it would refuse offers that do not name it.
 */
const DEFLATE = {
  threshold: 1024,
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
  serverMaxWindowBits: 10,
  zlibDeflateOptions: { memLevel: 4, chunkSize: 1024 },
  zlibInflateOptions: { chunkSize: 1024 },
};

/**
 * Builds the Socket.IO server: transport, frame and CONNECT deadlines from configuration,
 * CORS, the adapter of the chosen storage (Redis pub/sub when REDIS_URL is set), and the
 * handshake middleware chain.
 */
export class RedisIoAdapter extends IoAdapter {
  private readonly config: AppConfig;
  private readonly storage: StorageBackend;
  private readonly jwt: JwtService;
  private readonly metrics: RealtimeMetrics;
  private readonly shutdown: ShutdownState;

  constructor(private readonly app: INestApplicationContext) {
    super(app);
    this.config = app.get(AppConfig);
    this.storage = app.get(StorageBackend);
    this.jwt = app.get(JwtService);
    this.metrics = app.get(RealtimeMetrics);
    this.shutdown = app.get(ShutdownState);
  }

  override createIOServer(port: number, options?: Partial<ServerOptions>): AppServer {
    const merged = { ...options, ...this.serverOptions() } as ServerOptions;
    const server = super.createIOServer(port, merged) as AppServer;
    this.storage.attachAdapter(server);
    const limiters = this.app.get(Limiters);
    server.use(
      failedHandshakeRateMiddleware(limiters, this.metrics, this.config.get('TRUST_PROXY')),
    );
    server.use(shutdownMiddleware(this.shutdown, this.metrics));
    server.use(authMiddleware(this.jwt, limiters, this.metrics));
    server.use(
      validHandshakeRateMiddleware(limiters, this.app.get(PresenceExemption), this.metrics),
    );
    server.use(capacityMiddleware(this.app.get(ConnectionCapacity), this.metrics));
    return server;
  }

  /**
   * Nest calls this per gateway per socket to build an rxjs pipeline per handler (kilobytes
   * per socket, and most of a request's CPU). Requests instead reach their handlers through
   * the packet guard and the RequestDispatcher: one map built at start, nothing per socket.
   */
  override bindMessageHandlers(): void {}

  private serverOptions(): Partial<ServerOptions> {
    return {
      ...this.corsOptions(),
      // An Engine.IO session that never sends the Socket.IO CONNECT holds memory and a
      // socket uncounted by every limit: closed after this deadline.
      connectTimeout: this.config.get('SOCKET_CONNECT_TIMEOUT_MS'),
      transports: ['websocket', 'polling'],
      maxHttpBufferSize: this.config.get('SOCKET_MAX_PAYLOAD_BYTES'),
      pingInterval: this.config.get('SOCKET_PING_INTERVAL_MS'),
      pingTimeout: this.config.get('SOCKET_PING_TIMEOUT_MS'),
      perMessageDeflate: DEFLATE,
      serveClient: false,
    };
  }

  /** CORS_ORIGIN's list, enforced; unset, every origin, with headers on polling too. */
  private corsOptions(): Partial<ServerOptions> {
    const origins = this.config.get('CORS_ORIGIN')?.split(',');
    if (!origins) {
      // `true` echoes the request's Origin: what a browser on any page needs to poll.
      return { cors: { origin: true } };
    }
    return {
      cors: { origin: origins },
      // CORS headers only guide browsers; refusing the upgrade enforces the list.
      allowRequest: (req, callback) => callback(null, originAllowed(req.headers.origin, origins)),
    };
  }
}
