import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { Registry } from 'prom-client';
import { PublicMetricsGuard } from './public-metrics.guard.js';
import { RealtimeMetrics } from './realtime.metrics.js';

@Controller()
@UseGuards(PublicMetricsGuard)
export class MetricsController {
  constructor(private readonly metrics: RealtimeMetrics) {}

  /** Prometheus text format, this process's figures. */
  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
