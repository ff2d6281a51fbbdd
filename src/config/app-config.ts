import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import type { Env } from './env.schema.js';

/** Typed, read-only access to the validated settings; the only reader of configuration. */
@Injectable()
export class AppConfig {
  /** This process, in logs, stats and Redis connection records. */
  readonly nodeId = `${process.pid}-${randomBytes(3).toString('hex')}`;

  constructor(private readonly config: ConfigService<Env, true>) {}

  get<K extends keyof Env>(key: K): Env[K] {
    return this.config.get(key, { infer: true });
  }

  get redisUrl(): string | undefined {
    return this.get('REDIS_URL');
  }

  /** The internal metrics port of this worker, when metrics are kept off the public port. */
  get metricsPort(): number | undefined {
    const base = this.get('METRICS_PORT');
    return base ? Number(base) + this.get('NODE_APP_INSTANCE') : undefined;
  }

  get isProduction(): boolean {
    return this.get('NODE_ENV') === 'production';
  }
}
