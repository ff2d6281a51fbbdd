import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { AppConfig } from '../config/app-config.js';
import { StorageBackend } from '../engine/storage-backend.js';
import { RealtimeMetrics } from '../metrics/realtime.metrics.js';
import { RealtimeEvents } from '../socket/realtime-events.js';

const LAG_RESOLUTION_MS = 20;

export interface Stats {
  nodeId: string;
  uptimeS: number;
  connections: number;
  rooms: number;
  memory: { rss: number; heapUsed: number };
  eventLoopLagMs: number;
}

/** This process at a glance, for `/stats`, and the gauges read at scrape time. */
@Injectable()
export class ProcessStats implements OnModuleInit, OnModuleDestroy {
  private readonly started = Date.now();
  private readonly lag: IntervalHistogram = monitorEventLoopDelay({
    resolution: LAG_RESOLUTION_MS,
  });

  constructor(
    private readonly config: AppConfig,
    private readonly events: RealtimeEvents,
    private readonly storage: StorageBackend,
    private readonly metrics: RealtimeMetrics,
  ) {}

  onModuleInit(): void {
    this.lag.enable();
    // realtime_redis_up exists only where the storage has connections to watch.
    const watched = this.storage.up() !== undefined;
    this.metrics.readFrom({
      connections: () => this.events.localStats().connections,
      rooms: () => this.events.localStats().rooms,
      ...(watched ? { redisUp: () => this.storage.up() === true } : {}),
    });
  }

  onModuleDestroy(): void {
    this.lag.disable();
  }

  snapshot(): Stats {
    const { rss, heapUsed } = process.memoryUsage();
    // The sampler's own interval is part of each reading: only what exceeds it is lag.
    const lagMs = Math.max(0, this.lag.mean / 1e6 - LAG_RESOLUTION_MS);
    return {
      nodeId: this.config.nodeId,
      uptimeS: Math.round((Date.now() - this.started) / 1000),
      ...this.events.localStats(),
      memory: { rss, heapUsed },
      eventLoopLagMs: Number.isFinite(lagMs) ? Math.round(lagMs * 100) / 100 : 0,
    };
  }
}
