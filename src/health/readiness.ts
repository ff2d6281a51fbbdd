import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { MetadataEngine } from '../engine/metadata.engine.js';
import { PresenceEngine } from '../engine/presence.engine.js';
import { RedisRef } from '../redis/redis.module.js';
import { ShutdownState } from '../shutdown/shutdown-state.js';

export interface ReadinessReport {
  ready: boolean;
  /** Each part and whether it is ready; present only when something is not. */
  checks: Record<string, boolean>;
}

/**
 * Readiness: the engine loaded (scripts included), and on Redis every client connected
 * (commands and the adapter's pub/sub).
 */
@Injectable()
export class Readiness implements OnApplicationBootstrap {
  private readonly logger = new Logger(Readiness.name);
  private engineReady = false;

  constructor(
    private readonly presence: PresenceEngine,
    private readonly metadata: MetadataEngine,
    private readonly redis: RedisRef,
    private readonly shutdown: ShutdownState,
  ) {}

  onApplicationBootstrap(): void {
    void this.loadEngine();
  }

  report(): ReadinessReport {
    const checks: Record<string, boolean> = {
      engine: this.engineReady,
      running: !this.shutdown.active,
    };
    const connections = this.redis.connections;
    if (connections) {
      for (const [role, status] of Object.entries(connections.statuses())) {
        checks[`redis:${role}`] = status === 'ready';
      }
    }
    return { ready: Object.values(checks).every(Boolean), checks };
  }

  /** Retries until the engine is ready: Redis may come up after this process. */
  private async loadEngine(): Promise<void> {
    for (let attempt = 0; !this.engineReady; attempt++) {
      try {
        await Promise.all([this.presence.ready(), this.metadata.ready()]);
        this.engineReady = true;
        this.logger.log({ msg: 'engine ready' });
      } catch (err) {
        this.logger.warn({ msg: 'engine not ready, retrying', err: (err as Error).message });
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2000)));
      }
    }
  }
}
