import { Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { RedisRef } from '../redis/redis.module.js';
import { GameStore } from './game.store.js';
import { MemoryBackend } from './memory-backend.js';
import { MemoryGameStore } from './memory/memory-game.store.js';
import { MemoryMetadataEngine } from './memory/memory-metadata.engine.js';
import { MemoryPresenceEngine } from './memory/memory-presence.engine.js';
import { MetadataEngine } from './metadata.engine.js';
import { PresenceEngine } from './presence.engine.js';
import { StorageBackend } from './storage-backend.js';

/** The engine that runs: its two ports and its StorageBackend, built together. */
export abstract class ChosenStorage {
  abstract readonly presence: PresenceEngine;
  abstract readonly metadata: MetadataEngine;
  abstract readonly games: GameStore;
  abstract readonly backend: StorageBackend;
}

async function chooseStorage(config: AppConfig, redis: RedisRef): Promise<ChosenStorage> {
  if (!redis.connections) {
    return {
      presence: new MemoryPresenceEngine(),
      metadata: new MemoryMetadataEngine(),
      games: new MemoryGameStore(),
      backend: new MemoryBackend(),
    };
  }
  // Loaded on demand: the Redis engine's code and libraries cost start-up time otherwise.
  const { redisStorage } = await import('./redis-storage.js');
  return redisStorage(redis.connections, config);
}

/** Closes the engine when the app stops, before the Redis clients close. */
class EngineLifecycle implements OnApplicationShutdown {
  constructor(private readonly storage: ChosenStorage) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([
      this.storage.presence.close(),
      this.storage.metadata.close(),
      this.storage.games.close(),
    ]);
  }
}

/**
 * The one place that decides which engine runs: Redis when REDIS_URL or REDIS_CLUSTER_NODES is set, else memory.
 * Besides the engine ports (presence, metadata, games) it provides the StorageBackend (adapter, limiter store,
 * readiness, readings), so no other module asks which one it is.
 */
@Global()
@Module({
  providers: [
    { provide: ChosenStorage, inject: [AppConfig, RedisRef], useFactory: chooseStorage },
    {
      provide: PresenceEngine,
      inject: [ChosenStorage],
      useFactory: (storage: ChosenStorage) => storage.presence,
    },
    {
      provide: MetadataEngine,
      inject: [ChosenStorage],
      useFactory: (storage: ChosenStorage) => storage.metadata,
    },
    {
      provide: GameStore,
      inject: [ChosenStorage],
      useFactory: (storage: ChosenStorage) => storage.games,
    },
    {
      provide: StorageBackend,
      inject: [ChosenStorage],
      useFactory: (storage: ChosenStorage) => storage.backend,
    },
    {
      provide: EngineLifecycle,
      inject: [ChosenStorage],
      useFactory: (storage: ChosenStorage) => new EngineLifecycle(storage),
    },
  ],
  exports: [PresenceEngine, MetadataEngine, GameStore, StorageBackend],
})
export class EngineModule {}
