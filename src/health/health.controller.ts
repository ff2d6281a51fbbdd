import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { Readiness } from './readiness.js';

@Controller('health')
export class HealthController {
  constructor(private readonly readiness: Readiness) {}

  /** 200 while the process runs. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 once everything is ready; 503 naming the failing parts otherwise. */
  @Get('ready')
  ready(): { status: 'ok' } {
    const { ready, checks } = this.readiness.report();
    if (!ready) {
      const failing = Object.keys(checks).filter((part) => !checks[part]);
      throw new ServiceUnavailableException({ status: 'unavailable', failing });
    }
    return { status: 'ok' };
  }
}
