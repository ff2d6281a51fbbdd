import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { IntervalTask } from '../common/interval-task.js';
import { AppConfig } from '../config/app-config.js';
import { PresenceEngine } from '../engine/presence.engine.js';
import { RealtimeMetrics } from '../metrics/realtime.metrics.js';
import { PresenceService } from './presence.service.js';

/** Most batches one tick sweeps, so a huge backlog is spread over ticks. */
const MAX_BATCHES_PER_TICK = 20;

/**
 * Sweeps expired connections every REAPER_INTERVAL_MS. Runs on every process; only the
 * holder of the lease sweeps. The engine removes each expired connection atomically and
 * returns it once, so a leave is announced exactly once even if a paused reaper wakes up
 * after losing its lease.
 */
@Injectable()
export class PresenceReaper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PresenceReaper.name);
  private readonly task = new IntervalTask(
    () => this.sweep(),
    (err) => this.logger.warn({ msg: 'sweep failed', err: err.message }),
  );
  private leader = false;

  constructor(
    private readonly engine: PresenceEngine,
    private readonly presence: PresenceService,
    private readonly config: AppConfig,
    private readonly metrics: RealtimeMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.task.start(this.config.get('REAPER_INTERVAL_MS'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  private async sweep(): Promise<void> {
    const interval = this.config.get('REAPER_INTERVAL_MS');
    const isLeader = await this.engine.acquireReaperLease(this.config.nodeId, interval * 3);
    if (isLeader !== this.leader) {
      this.leader = isLeader;
      this.logger.log({ msg: isLeader ? 'reaper lease taken' : 'reaper lease lost' });
    }
    if (!isLeader) {
      return;
    }
    const batchSize = this.config.get('REAPER_BATCH_SIZE');
    for (let batch = 0; batch < MAX_BATCHES_PER_TICK; batch++) {
      const { removed, roomsVisited } = await this.engine.sweepExpired(batchSize);
      this.presence.announceExpired(removed);
      this.metrics.reaped.inc(removed.length);
      if (roomsVisited < batchSize) {
        return;
      }
      await yieldToEventLoop();
    }
  }
}
