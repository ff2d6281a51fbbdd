import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module.js';
import { AppConfig } from './config/app-config.js';
import { ConfigError } from './config/env.validate.js';
import { RedisIoAdapter } from './socket/redis-io.adapter.js';

async function bootstrap(): Promise<void> {
  // One JSON object per line: fields stay fields for whoever collects the logs.
  const logger = new ConsoleLogger({ json: true });
  const app = await NestFactory.create(AppModule, { abortOnError: false, logger });
  const config = app.get(AppConfig);
  app.useWebSocketAdapter(new RedisIoAdapter(app));
  app.enableShutdownHooks();
  await app.listen(config.get('PORT'));
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const engine = config.redisUrl ? 'redis' : 'memory';
  new Logger('Main').log(`listening on port ${port} (engine: ${engine}, node: ${config.nodeId})`);
}

bootstrap().catch((err: unknown) => {
  // A configuration error is the operator's to fix: print its list, not a stack.
  const text = err instanceof ConfigError ? err.message : err instanceof Error ? err.stack : err;
  process.stderr.write(`Start-up failed: ${String(text)}\n`);
  process.exit(1);
});
