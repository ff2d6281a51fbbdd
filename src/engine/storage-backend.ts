import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Server } from 'socket.io';

/** A limiter's budget: `points` per `duration` seconds, keys under `keyPrefix`. */
export interface LimiterBudget {
  points: number;
  duration: number;
  keyPrefix: string;
}

/**
 * What the rest of the app needs from the storage EngineModule chose, besides the two
 * engine ports: the Socket.IO adapter, the store of cluster-wide rate limits, readiness
 * checks and live readings. Consumers use it as it is; none of them asks which engine runs.
 */
export abstract class StorageBackend {
  /** For logs: which storage runs. */
  abstract readonly name: 'memory' | 'redis';

  /** Makes `server` broadcast to every process that shares this storage (memory: this one). */
  abstract attachAdapter(server: Server): void;

  /**
   * Resolves once `room`'s broadcasts from other processes reach this one. Only a Redis
   * Cluster subscribes per room (sharded channels); elsewhere it is at once.
   */
  subscribed(_room: string): Promise<void> {
    return Promise.resolve();
  }

  /** A limiter counted wherever the storage is shared (memory: this process). */
  abstract limiter(budget: LimiterBudget): RateLimiterAbstract;

  /** Readiness of the storage's own connections, by part; `{}` when it has none. */
  abstract readiness(): Record<string, boolean>;

  /** Whether the storage's connections are up; undefined when there are none to watch. */
  abstract up(): boolean | undefined;
}
