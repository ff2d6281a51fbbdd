import { Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import type { RedisConnections } from './redis-connections.js';

/**
 * Holds the Redis clients when REDIS_URL or REDIS_CLUSTER_NODES is set; `null` on the in-memory engine. Only
 * EngineModule reads it: everyone else gets engine-neutral providers from there.
 */
export abstract class RedisRef {
  abstract readonly connections: RedisConnections | null;
}

class RedisRefImpl extends RedisRef implements OnApplicationShutdown {
  constructor(readonly connections: RedisConnections | null) {
    super();
  }

  // Last step of shutdown: everything else has flushed by now.
  async onApplicationShutdown(): Promise<void> {
    await this.connections?.close();
  }
}

async function connect(config: AppConfig): Promise<RedisConnections | null> {
  const target = config.redisTarget;
  if (!target) {
    return null;
  }
  // Loaded on demand: the memory engine starts without loading ioredis.
  const { RedisConnections } = await import('./redis-connections.js');
  return new RedisConnections(target, config);
}

@Global()
@Module({
  providers: [
    {
      provide: RedisRef,
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => new RedisRefImpl(await connect(config)),
    },
  ],
  exports: [RedisRef],
})
export class RedisModule {}
