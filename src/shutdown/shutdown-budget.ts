import type { AppConfig } from '../config/app-config.js';

/**
 * The time a stop may take, derived from two settings: SHUTDOWN_GRACE_MS (clients keep
 * being served) and SHUTDOWN_CLOSE_TIMEOUT_MS (everything after it). The close budget is
 * split so the steps in turn cannot use more than all of it, with a quarter left for the
 * app's own close; the watchdog fires at its end whatever is still pending.
 */
export interface ShutdownBudget {
  graceMs: number;
  /** After the disconnects, before every transport still open is terminated. */
  closeWaitMs: number;
  /** Each flush of pending heartbeats, and the transaction pool's wait for its loans. */
  flushMs: number;
  /** Redis QUIT, before the connections are dropped. */
  quitMs: number;
  /** From the signal to the forced exit. */
  watchdogMs: number;
}

export function shutdownBudget(config: AppConfig): ShutdownBudget {
  const graceMs = config.get('SHUTDOWN_GRACE_MS');
  const closeMs = config.get('SHUTDOWN_CLOSE_TIMEOUT_MS');
  return {
    graceMs,
    closeWaitMs: Math.floor(closeMs * 0.3),
    flushMs: Math.floor(closeMs * 0.1),
    quitMs: Math.floor(closeMs * 0.2),
    watchdogMs: graceMs + closeMs,
  };
}

/** Waits for `work` at most `ms`; true when it settled in time. Never rejects. */
export async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = work.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}
