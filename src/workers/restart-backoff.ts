/** The first restart of a crashed worker waits this long, doubling on each crash in a row. */
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
/** A worker ready this long counts as stable: its next crash starts the backoff again. */
export const STABLE_AFTER_MS = 30_000;

/** Per slot: how long to wait before starting a replacement for a crashed worker. */
export class RestartBackoff {
  private crashes = 0;

  /** The delay for a crash now, of a worker that was ready at `readyAt` (if ever). */
  next(readyAt: number | undefined, now = Date.now()): number {
    if (readyAt !== undefined && now - readyAt >= STABLE_AFTER_MS) {
      this.crashes = 0;
    }
    const delay = Math.min(FIRST_DELAY_MS * 2 ** this.crashes, MAX_DELAY_MS);
    this.crashes++;
    return delay;
  }
}
