export interface BackoffOptions {
  minDelayMs: number;
  maxDelayMs: number;
}

/**
 * "Full jitter" exponential backoff: attempt n waits a uniform random time in
 * [0, min(max, min·2ⁿ)], never below minDelayMs, so a crowd of clients spreads out.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** Math.min(attempt, 30));
  return Math.max(options.minDelayMs, Math.round(random() * ceiling));
}
