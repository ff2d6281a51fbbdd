import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { IntervalTask } from '../common/interval-task.js';
import { AppConfig } from '../config/app-config.js';
import { MetadataEngine } from '../engine/metadata.engine.js';
import { LockService } from './lock.service.js';

/** Lapsed locks swept per tick; the rest wait for the next tick. */
const MAX_LOCKS_PER_TICK = 500;

/**
 * Announces lapsed locks every REAPER_INTERVAL_MS, even when nobody claims them. Runs on
 * every process without a lease: the engine removes each lapsed lock atomically and
 * returns it to one caller only.
 */
@Injectable()
export class LockReaper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LockReaper.name);
  private readonly task = new IntervalTask(
    async () => this.locks.announceExpired(await this.engine.sweepExpiredLocks(MAX_LOCKS_PER_TICK)),
    (err) => this.logger.warn({ msg: 'lock sweep failed', err: err.message }),
  );

  constructor(
    private readonly engine: MetadataEngine,
    private readonly locks: LockService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.task.start(this.config.get('REAPER_INTERVAL_MS'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }
}
