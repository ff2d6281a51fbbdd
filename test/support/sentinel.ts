import { fileURLToPath } from 'node:url';
import type { AppProcess } from './app.js';
import { untilLogged } from './ops.js';

const SENTINEL = fileURLToPath(new URL('./process-sentinel.mjs', import.meta.url));

/** Settings that preload the sentinel into a server process (see process-sentinel.mjs). */
export const SENTINEL_ENV = { NODE_OPTIONS: `--expose-gc --import ${SENTINEL}` };

export interface SentinelReport {
  heapUsed: number;
  /** Own property names of the built-in prototypes, by constructor name. */
  shapes: Record<string, string>;
}

const reportsIn = (logs: string): SentinelReport[] =>
  [...logs.matchAll(/^SENTINEL (.*)$/gm)].map((m) => JSON.parse(m[1]) as SentinelReport);

/** Asks the server for a sentinel report (after a full GC) and returns it. */
export async function sentinelReport(app: AppProcess): Promise<SentinelReport> {
  const before = reportsIn(app.logs).length;
  app.child.kill('SIGUSR2');
  const logs = await untilLogged(app, (text) => reportsIn(text).length > before);
  return reportsIn(logs)[before];
}
