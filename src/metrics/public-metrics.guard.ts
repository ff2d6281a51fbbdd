import { Injectable, NotFoundException, type CanActivate } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';

/** /metrics and /stats exist on the public port only while no METRICS_PORT moves them. */
@Injectable()
export class PublicMetricsGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(): boolean {
    if (this.config.metricsPort !== undefined) {
      throw new NotFoundException();
    }
    return true;
  }
}
