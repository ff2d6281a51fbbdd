import { Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { RedisRef } from '../redis/redis.module.js';
import { MemoryBackend } from './memory-backend.js';
import { MemoryMetadataEngine } from './memory/memory-metadata.engine.js';
import { MemoryPresenceEngine } from './memory/memory-presence.engine.js';
import { MetadataEngine } from './metadata.engine.js';
import { PresenceEngine } from './presence.engine.js';
import { RedisBackend } from './redis-backend.js';
import { RedisMetadataEngine } from './redis/redis-metadata.engine.js';
import { RedisPresenceEngine } from './redis/redis-presence.engine.js';
import { StorageBackend } from './storage-backend.js';

/** Closes the engine when the app stops, before the Redis clients close. */
class EngineLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly presence: PresenceEngine,
    private readonly metadata: MetadataEngine,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.presence.close(), this.metadata.close()]);
  }
}

/**
 * The one place that decides which engine runs: Redis when REDIS_URL is set, else memory.
 * Besides the engine ports it provides the StorageBackend (adapter, limiter store,
 * readiness, readings), so no other module asks which one it is.
 */
@Global()
@Module({
  providers: [
    {
      provide: PresenceEngine,
      inject: [AppConfig, RedisRef],
      useFactory: (config: AppConfig, redis: RedisRef): PresenceEngine =>
        redis.connections
          ? new RedisPresenceEngine(redis.connections.command, {
              prefix: config.get('REDIS_KEY_PREFIX'),
              commandTimeoutMs: config.get('REDIS_COMMAND_TIMEOUT_MS'),
            })
          : new MemoryPresenceEngine(),
    },
    {
      provide: MetadataEngine,
      inject: [AppConfig, RedisRef],
      useFactory: (config: AppConfig, redis: RedisRef): MetadataEngine =>
        redis.connections
          ? new RedisMetadataEngine(redis.connections.command, redis.connections.txPool, {
              prefix: config.get('REDIS_KEY_PREFIX'),
              maxRetries: config.get('METADATA_MAX_RETRIES'),
              commandTimeoutMs: config.get('REDIS_COMMAND_TIMEOUT_MS'),
            })
          : new MemoryMetadataEngine(),
    },
    {
      provide: StorageBackend,
      inject: [AppConfig, RedisRef],
      useFactory: (config: AppConfig, redis: RedisRef): StorageBackend =>
        redis.connections
          ? new RedisBackend(redis.connections, config.get('REDIS_KEY_PREFIX'))
          : new MemoryBackend(),
    },
    {
      provide: EngineLifecycle,
      inject: [PresenceEngine, MetadataEngine],
      useFactory: (presence: PresenceEngine, metadata: MetadataEngine) =>
        new EngineLifecycle(presence, metadata),
    },
  ],
  exports: [PresenceEngine, MetadataEngine, StorageBackend],
})
export class EngineModule {}
