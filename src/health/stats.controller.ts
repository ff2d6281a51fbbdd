import { Controller, Get, UseGuards } from '@nestjs/common';
import { PublicMetricsGuard } from '../metrics/public-metrics.guard.js';
import { ProcessStats, type Stats } from './process-stats.js';

@Controller()
@UseGuards(PublicMetricsGuard)
export class StatsController {
  constructor(private readonly stats: ProcessStats) {}

  @Get('stats')
  get(): Stats {
    return this.stats.snapshot();
  }
}
