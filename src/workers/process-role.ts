import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseEnv } from 'node:util';

/**
 * Set by the primary in each worker's environment: the worker's slot (0..n-1). It tells
 * a worker of ours from a worker of PM2's cluster mode, which also runs under node:cluster
 * but listens by itself.
 */
export const WORKER_SLOT_VAR = 'AVALON_WORKER_SLOT';

/**
 * single: one process that listens (today's behaviour, and every PM2 worker);
 * primary: forks WORKERS workers and shares the port with them;
 * worker: a Nest app that serves the connections its primary hands it.
 */
export type ProcessRole = 'single' | 'primary' | 'worker';

export function processRole(env: NodeJS.ProcessEnv): ProcessRole {
  if (cluster.isWorker) {
    return env[WORKER_SLOT_VAR] !== undefined ? 'worker' : 'single';
  }
  return workerCount(env.WORKERS) > 0 ? 'primary' : 'single';
}

/**
 * WORKERS as a number: `auto` is one per core Node may use. Anything invalid counts as 0
 * here, so the process starts as one and its validation reports the setting.
 */
export function workerCount(value: string | undefined): number {
  if (value === 'auto') {
    return availableParallelism();
  }
  return value !== undefined && /^\d{1,3}$/.test(value) ? Number(value) : 0;
}

/**
 * The settings as the Nest app will read them: the environment, over `.env` in the
 * working folder when there is one (what @nestjs/config does).
 */
export function rawSettings(cwd = process.cwd()): NodeJS.ProcessEnv {
  let file: NodeJS.Dict<string> = {};
  try {
    file = parseEnv(readFileSync(`${cwd}/.env`, 'utf8'));
  } catch {
    // no .env: the environment alone
  }
  return { ...file, ...process.env };
}
