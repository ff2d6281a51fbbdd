import { Module } from '@nestjs/common';
import { InternalMetricsServer } from '../metrics/internal-metrics.server.js';
import { HealthController } from './health.controller.js';
import { ProcessStats } from './process-stats.js';
import { Readiness } from './readiness.js';
import { StatsController } from './stats.controller.js';

@Module({
  controllers: [HealthController, StatsController],
  providers: [Readiness, ProcessStats, InternalMetricsServer],
  exports: [Readiness],
})
export class HealthModule {}
