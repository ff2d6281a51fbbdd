import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { RealtimeMetrics } from './realtime.metrics.js';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [{ provide: RealtimeMetrics, useFactory: () => new RealtimeMetrics() }],
  exports: [RealtimeMetrics],
})
export class MetricsModule {}
