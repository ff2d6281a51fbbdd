import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import type { Env } from './env.schema.js';

/** Where Redis is: one server's URL, or the seed nodes of a Redis Cluster. */
export type RedisTarget = { url: string } | { clusterNodes: { host: string; port: number }[] };

/** Typed, read-only access to the validated settings; the only reader of configuration. */
@Injectable()
export class AppConfig {
  /** This process, in logs, stats and Redis connection records. */
  readonly nodeId = `${process.pid}-${randomBytes(3).toString('hex')}`;

  constructor(private readonly config: ConfigService<Env, true>) {}

  get<K extends keyof Env>(key: K): Env[K] {
    return this.config.get(key, { infer: true });
  }

  /** Redis from REDIS_URL or REDIS_CLUSTER_NODES; undefined on the in-memory engine. */
  get redisTarget(): RedisTarget | undefined {
    const url = this.get('REDIS_URL');
    if (url) {
      return { url };
    }
    const nodes = this.get('REDIS_CLUSTER_NODES');
    if (!nodes) {
      return undefined;
    }
    const clusterNodes = nodes.split(',').map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
    });
    return { clusterNodes };
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
