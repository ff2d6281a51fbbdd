import { Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { RedisConnections } from './redis-connections.js';

/**
 * Holds the Redis clients when REDIS_URL is set; `null` on the in-memory engine. Only
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

@Global()
@Module({
  providers: [
    {
      provide: RedisRef,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        new RedisRefImpl(config.redisUrl ? new RedisConnections(config.redisUrl, config) : null),
    },
  ],
  exports: [RedisRef],
})
export class RedisModule {}
