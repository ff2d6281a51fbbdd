import { Controller, Get } from '@nestjs/common';
import { ProcessStats, type Stats } from './process-stats.js';

@Controller()
export class StatsController {
  constructor(private readonly stats: ProcessStats) {}

  @Get('stats')
  get(): Stats {
    return this.stats.snapshot();
  }
}
