import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { MetricsInterceptor } from './metrics.interceptor.js';
import { RealtimeMetrics } from './realtime.metrics.js';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    { provide: RealtimeMetrics, useFactory: () => new RealtimeMetrics() },
    MetricsInterceptor,
  ],
  exports: [RealtimeMetrics, MetricsInterceptor],
})
export class MetricsModule {}
