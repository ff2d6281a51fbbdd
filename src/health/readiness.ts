import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { GameStore } from '../engine/game.store.js';
import { MetadataEngine } from '../engine/metadata.engine.js';
import { PresenceEngine } from '../engine/presence.engine.js';
import { StorageBackend } from '../engine/storage-backend.js';
import { ShutdownState } from '../shutdown/shutdown-state.js';

export interface ReadinessReport {
  ready: boolean;
  /** Each part and whether it is ready; present only when something is not. */
  checks: Record<string, boolean>;
}

/**
 * Readiness: the engine loaded (scripts included), the storage's own connections up (on
 * Redis: commands and the adapter's pub/sub), and no shutdown begun.
 */
@Injectable()
export class Readiness implements OnApplicationBootstrap {
  private readonly logger = new Logger(Readiness.name);
  private engineReady = false;

  constructor(
    private readonly presence: PresenceEngine,
    private readonly metadata: MetadataEngine,
    private readonly games: GameStore,
    private readonly storage: StorageBackend,
    private readonly shutdown: ShutdownState,
  ) {}

  onApplicationBootstrap(): void {
    void this.loadEngine();
  }

  report(): ReadinessReport {
    const checks: Record<string, boolean> = {
      engine: this.engineReady,
      running: !this.shutdown.active,
      ...this.storage.readiness(),
    };
    return { ready: Object.values(checks).every(Boolean), checks };
  }

  /** Retries until the engine is ready: Redis may come up after this process. */
  private async loadEngine(): Promise<void> {
    for (let attempt = 0; !this.engineReady; attempt++) {
      try {
        await Promise.all([this.presence.ready(), this.metadata.ready(), this.games.ready()]);
        this.engineReady = true;
        this.logger.log({ msg: 'engine ready' });
      } catch (err) {
        this.logger.warn({ msg: 'engine not ready, retrying', err: (err as Error).message });
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2000)));
      }
    }
  }
}
