import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { ServerOptions } from 'socket.io';
import { JwtService } from '../auth/jwt.service.js';
import { AppConfig } from '../config/app-config.js';
import { RealtimeMetrics } from '../metrics/realtime.metrics.js';
import { RedisRef } from '../redis/redis.module.js';
import { ConnectionCapacity } from '../rate-limit/connection-capacity.js';
import { Limiters } from '../rate-limit/limiters.js';
import { ShutdownState } from '../shutdown/shutdown-state.js';
import { authMiddleware } from './middleware/auth.middleware.js';
import { capacityMiddleware } from './middleware/capacity.middleware.js';
import { connectionRateMiddleware } from './middleware/connection-rate.middleware.js';
import { shutdownMiddleware } from './middleware/shutdown.middleware.js';
import { originAllowed } from './origin.js';
import type { AppServer } from './socket-types.js';

/**
 * Builds the Socket.IO server: transport and frame limits from configuration, the Redis
 * adapter when REDIS_URL is set (its channels under REDIS_KEY_PREFIX), and the handshake
 * middleware chain.
 */
export class RedisIoAdapter extends IoAdapter {
  private readonly config: AppConfig;
  private readonly redis: RedisRef;
  private readonly jwt: JwtService;
  private readonly metrics: RealtimeMetrics;
  private readonly shutdown: ShutdownState;

  constructor(private readonly app: INestApplicationContext) {
    super(app);
    this.config = app.get(AppConfig);
    this.redis = app.get(RedisRef);
    this.jwt = app.get(JwtService);
    this.metrics = app.get(RealtimeMetrics);
    this.shutdown = app.get(ShutdownState);
  }

  override createIOServer(port: number, options?: Partial<ServerOptions>): AppServer {
    const merged = { ...options, ...this.serverOptions() } as ServerOptions;
    const server = super.createIOServer(port, merged) as AppServer;
    const connections = this.redis.connections;
    if (connections) {
      server.adapter(
        createAdapter(connections.adapterPub, connections.adapterSub, {
          key: `${this.config.get('REDIS_KEY_PREFIX')}:socket.io`,
        }),
      );
    }
    const trustProxy = this.config.get('TRUST_PROXY');
    server.use(connectionRateMiddleware(this.app.get(Limiters), this.metrics, trustProxy));
    server.use(shutdownMiddleware(this.shutdown, this.metrics));
    server.use(authMiddleware(this.jwt, this.metrics));
    server.use(capacityMiddleware(this.app.get(ConnectionCapacity), this.metrics));
    return server;
  }

  private serverOptions(): Partial<ServerOptions> {
    const origins = this.config.get('CORS_ORIGIN')?.split(',');
    return {
      ...(origins
        ? {
            cors: { origin: origins },
            // CORS headers only guide browsers; refusing the upgrade enforces the list.
            allowRequest: (req, callback) =>
              callback(null, originAllowed(req.headers.origin, origins)),
          }
        : {}),
      transports: ['websocket', 'polling'],
      maxHttpBufferSize: this.config.get('SOCKET_MAX_PAYLOAD_BYTES'),
      pingInterval: this.config.get('SOCKET_PING_INTERVAL_MS'),
      pingTimeout: this.config.get('SOCKET_PING_TIMEOUT_MS'),
      // Compress only frames worth it: small presence events cost more to deflate than to send.
      perMessageDeflate: { threshold: 1024 },
      serveClient: false,
    };
  }
}
