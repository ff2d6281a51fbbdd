import type { AppConfig } from '../config/app-config.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import type { ChosenStorage } from './engine.module.js';
import { RedisBackend } from './redis-backend.js';
import { RedisGameStore } from './redis/redis-game.store.js';
import { RedisMetadataEngine } from './redis/redis-metadata.engine.js';
import { RedisPresenceEngine } from './redis/redis-presence.engine.js';

/**
 * The Redis engine's parts on the given clients. EngineModule imports this file only when
 * Redis is configured, so the memory engine starts without loading ioredis, the Redis adapter
 * or the transaction pool.
 */
export function redisStorage(connections: RedisConnections, config: AppConfig): ChosenStorage {
  const prefix = config.get('REDIS_KEY_PREFIX');
  const commandTimeoutMs = config.get('REDIS_COMMAND_TIMEOUT_MS');
  return {
    presence: new RedisPresenceEngine(connections.command, { prefix, commandTimeoutMs }),
    metadata: new RedisMetadataEngine(connections.command, connections.transactions, {
      prefix,
      maxRetries: config.get('METADATA_MAX_RETRIES'),
      commandTimeoutMs,
    }),
    games: new RedisGameStore(connections.command, { prefix, commandTimeoutMs }),
    backend: new RedisBackend(connections, prefix, commandTimeoutMs),
  };
}
