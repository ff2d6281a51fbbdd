import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { AppConfig } from '../config/app-config.js';
import { RealtimeMetrics } from '../metrics/realtime.metrics.js';
import { ProcessStats } from './process-stats.js';

/**
 * With METRICS_PORT set, /metrics and /stats are served here, on an internal port (one
 * per PM2 worker: METRICS_PORT + NODE_APP_INSTANCE), and the public port answers 404.
 */
@Injectable()
export class InternalMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(InternalMetricsServer.name);
  private server?: Server;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: RealtimeMetrics,
    private readonly stats: ProcessStats,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.metricsPort;
    if (port === undefined) {
      return;
    }
    this.server = createServer((req, res) => void this.answer(req.url, res));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject).listen(port, () => resolve());
    });
    this.logger.log({ msg: `/metrics and /stats served on port ${port}` });
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }

  private async answer(url: string | undefined, res: ServerResponse): Promise<void> {
    if (url === '/metrics') {
      res.setHeader('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE);
      res.end(await this.metrics.registry.metrics());
    } else if (url === '/stats') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(this.stats.snapshot()));
    } else {
      res.statusCode = 404;
      res.end();
    }
  }
}
