import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module.js';
import { flushCompileCache } from './compile-cache.js';
import { AppConfig } from './config/app-config.js';
import { ConfigError } from './config/env.validate.js';
import { StorageBackend } from './engine/storage-backend.js';
import { createLogger, logSettingsFromEnv } from './logger.js';
import { ProcessStop } from './shutdown/process-stop.js';
import { shutdownBudget } from './shutdown/shutdown-budget.js';
import { ShutdownService } from './shutdown/shutdown.service.js';
import { RedisIoAdapter } from './socket/redis-io.adapter.js';
import { processRole } from './workers/process-role.js';
import { StickyWorkerAdapter } from './workers/sticky-worker.adapter.js';
import { serveAsWorker } from './workers/worker.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

async function bootstrap(): Promise<void> {
  const logger = createLogger(logSettingsFromEnv(process.env));
  const app = await NestFactory.create(AppModule, { abortOnError: false, logger });
  const config = app.get(AppConfig);
  // Again from the validated settings, which include those of a .env file.
  app.useLogger(
    createLogger({
      NODE_ENV: config.get('NODE_ENV'),
      LOG_FORMAT: config.get('LOG_FORMAT'),
      LOG_LEVEL: config.get('LOG_LEVEL'),
    }),
  );
  // Under WORKERS, a worker of the primary's (src/workers): it takes its connections from
  // the primary's port instead of listening.
  if (processRole(process.env) === 'worker') {
    app.useWebSocketAdapter(new StickyWorkerAdapter(app));
    await serveAsWorker(app, stopOnFault(app));
    flushCompileCache();
    return;
  }
  app.useWebSocketAdapter(new RedisIoAdapter(app));
  const stop = stopOnFault(app);
  SIGNALS.forEach((signal) => process.on(signal, () => stop.onSignal(signal)));
  await app.listen(config.get('PORT'));
  flushCompileCache();
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const engine = app.get(StorageBackend).name;
  new Logger('Main').log(`listening on port ${port} (engine: ${engine}, node: ${config.nodeId})`);
}

/**
 * SIGTERM/SIGINT (wired by the caller) and uncaught exceptions all run the same graceful
 * stop (exit 0 after a signal, 1 after a fault); a second one exits at once. Before this point a fault ends
 * start-up the default way: logged with its stack, exit 1.
 */
function stopOnFault(app: INestApplication): ProcessStop {
  const logger = new Logger('Shutdown');
  const shutdown = app.get(ShutdownService);
  const stop = new ProcessStop({
    stop: async (reason) => {
      await shutdown.drain(reason);
      // The sockets are gone: what is left are idle keep-alive connections and polls,
      // which the HTTP server's close would otherwise wait for.
      (app.getHttpServer() as Server).closeAllConnections();
      await app.close();
    },
    exit: (code) => process.exit(code),
    log: (entry) => logger.log(entry),
    error: (entry, stack) => logger.error(entry, stack),
    watchdogMs: shutdownBudget(app.get(AppConfig)).watchdogMs,
    pending: () => shutdown.pending(),
  });
  process.on('uncaughtException', (err) => stop.onFault(err));
  return stop;
}

// Last resort: a rejection nobody handled is a bug to log loudly, never a reason to drop
// every player on this process. Fault tests look for this phrase.
process.on('unhandledRejection', (reason) => {
  new Logger('Process').error({ msg: 'unhandled rejection', err: String(reason) });
});

bootstrap().catch((err: unknown) => {
  // A configuration error is the operator's to fix: print its list, not a stack.
  const text = err instanceof ConfigError ? err.message : err instanceof Error ? err.stack : err;
  process.stderr.write(`Start-up failed: ${String(text)}\n`);
  process.exit(1);
});
