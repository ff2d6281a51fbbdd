import type { AppConfig } from '../config/app-config.js';

/**
 * The time a stop may take, derived from two settings: SHUTDOWN_GRACE_MS (clients keep
 * being served) and SHUTDOWN_CLOSE_TIMEOUT_MS (everything after it). The close budget is
 * split so the steps in turn use at most 85 % of it: half for the clients' close
 * handshakes (a round trip on a mobile network), a tenth for each heartbeat flush, half
 * that for the transaction pool, 15 % for Redis QUIT; the rest is the app's own close.
 * The watchdog fires at its end whatever is still pending.
 */
export interface ShutdownBudget {
  graceMs: number;
  /** After the disconnects, before every transport still open is terminated. */
  closeWaitMs: number;
  /** Each flush of pending heartbeats. */
  flushMs: number;
  /** The transaction pool's wait for its loans. */
  poolDrainMs: number;
  /** Redis QUIT, before the connections are dropped. */
  quitMs: number;
  /** From the signal to the forced exit. */
  watchdogMs: number;
}

export function shutdownBudget(config: Pick<AppConfig, 'get'>): ShutdownBudget {
  const graceMs = config.get('SHUTDOWN_GRACE_MS');
  const closeMs = config.get('SHUTDOWN_CLOSE_TIMEOUT_MS');
  return {
    graceMs,
    closeWaitMs: Math.floor(closeMs * 0.5),
    flushMs: Math.floor(closeMs * 0.1),
    poolDrainMs: Math.floor(closeMs * 0.05),
    quitMs: Math.floor(closeMs * 0.15),
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
