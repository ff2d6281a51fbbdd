import { Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';
import { InternalMetricsServer } from './internal-metrics.server.js';
import { ProcessStats } from './process-stats.js';
import { Readiness } from './readiness.js';
import { StatsController } from './stats.controller.js';

/**
 * /health/*, /stats and the internal METRICS_PORT listener. Depends on metrics/ (the
 * registry, the public-port guard); metrics/ depends on nothing here.
 */
@Module({
  controllers: [HealthController, StatsController],
  providers: [Readiness, ProcessStats, InternalMetricsServer],
  exports: [Readiness],
})
export class HealthModule {}
