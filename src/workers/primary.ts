import { setupMaster } from '@socket.io/sticky';
import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Env } from '../config/env.schema.js';
import { ConfigError, validateEnv } from '../config/env.validate.js';
import { createLogger } from '../logger.js';
import { shutdownBudget } from '../shutdown/shutdown-budget.js';
import { rawSettings, workerCount } from './process-role.js';
import { WorkerPool } from './worker-pool.js';

const CONTEXT = 'Primary';
/** A worker's start: loading the code, connecting, loading the engine's scripts. */
const START_TIMEOUT_MS = 60_000;
/** Past a worker's own watchdog: the time for it to exit and the primary to see it. */
const EXIT_MARGIN_MS = 2000;

/**
 * WORKERS=n: this process owns the port and forks n workers (node:cluster). Each request
 * is routed by @socket.io/sticky: a new session to the worker with the fewest, every later
 * request of a session (long-polling) to the worker holding it. SIGHUP rolls the workers
 * one at a time; SIGTERM/SIGINT stop them all, each with its own graceful stop.
 */
async function runPrimary(): Promise<void> {
  const env = validateEnv(rawSettings());
  const logger = createLogger(env);
  const budget = shutdownBudget({ get: <K extends keyof Env>(key: K) => env[key] });
  const count = workerCount(env.WORKERS);
  const pool = new WorkerPool(
    count,
    { startTimeoutMs: START_TIMEOUT_MS, stopTimeoutMs: budget.watchdogMs + EXIT_MARGIN_MS },
    logger,
  );
  if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES) {
    logger.warn(
      { msg: 'one worker on the memory engine: a rolling restart loses presence' },
      CONTEXT,
    );
  }
  cluster.setupPrimary({
    // Workers run dist/main.js itself, also when `npm start` (scripts/start.mjs) started this.
    exec: fileURLToPath(new URL('../main.js', import.meta.url)),
    // Chunks forwarded to workers are Buffers: the default JSON serialization mangles them.
    serialization: 'advanced',
  });
  const http = createServer();
  setupMaster(http, { loadBalancingMethod: 'least-connection' });
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) {
      logger.log({ msg: 'stopping at once', reason }, CONTEXT);
      pool.killAll();
      process.exit(1);
    }
    stopping = true;
    void stopAll(pool, http, reason, budget.watchdogMs + EXIT_MARGIN_MS * 2, logger);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void pool.roll());
  // A stop during start-up ends the starting workers: not a failed start.
  const workers = await pool.start().catch((err: unknown) => {
    if (stopping) {
      return undefined;
    }
    throw err;
  });
  if (!workers || stopping) {
    return;
  }
  const port = await listen(http, env.PORT);
  const engine = workers[0].ready?.engine;
  logger.log(
    `listening on port ${port} (engine: ${engine}, workers: ${count}, primary: ${process.pid})`,
    'Main',
  );
}

/** Stops every worker, then exits: 0 when all exited 0; the watchdog ends a stuck stop. */
async function stopAll(
  pool: WorkerPool,
  http: Server,
  reason: string,
  watchdogMs: number,
  logger: ReturnType<typeof createLogger>,
): Promise<void> {
  const watchdog = setTimeout(() => {
    logger.error({ msg: 'shutdown watchdog: killing the workers', watchdogMs }, undefined, CONTEXT);
    pool.killAll();
    process.exit(1);
  }, watchdogMs);
  // The port stays open meanwhile: polling clients keep reaching their stopping worker.
  const clean = await pool.stop(reason);
  clearTimeout(watchdog);
  http.close();
  logger.log({ msg: 'shutdown complete', reason, workersExitedCleanly: clean }, CONTEXT);
  process.exit(clean ? 0 : 1);
}

function listen(http: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, () => resolve((http.address() as AddressInfo).port));
  });
}

runPrimary().catch((err: unknown) => {
  const text = err instanceof ConfigError ? err.message : err instanceof Error ? err.stack : err;
  process.stderr.write(`Start-up failed: ${String(text)}\n`);
  // A worker still starting dies with the IPC channel as this process exits.
  process.exit(1);
});
