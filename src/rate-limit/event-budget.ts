/**
 * A count of events in a fixed window of `durationMs` that starts with its first event:
 * what rate-limiter-flexible's memory limiter counts, without its promise, its map lookup
 * and its timer per window.
 */
class FixedWindow {
  private count = 0;
  private endsAt = 0;

  constructor(
    private readonly points: number,
    private readonly durationMs: number,
  ) {}

  /** Counts one event at `now`; whether it is within the window's points. */
  take(now: number): boolean {
    if (now >= this.endsAt) {
      this.count = 0;
      this.endsAt = now + this.durationMs;
    }
    this.count++;
    return this.count <= this.points;
  }
}

/**
 * One socket's allowance of events: RATE_EVENTS_PER_SECOND per second, and once that is
 * spent, bursts up to as many again per two seconds; refused ones count as strikes, and
 * ten seconds of strikes at the full rate is flooding. Held by the socket (a socket lives
 * on one process), so it goes away with it.
 */
export class EventBudget {
  private readonly perSecond: FixedWindow;
  private readonly burst: FixedWindow;
  private readonly strikes: FixedWindow;

  constructor(ratePerSecond: number) {
    this.perSecond = new FixedWindow(ratePerSecond, 1000);
    this.burst = new FixedWindow(ratePerSecond, 2000);
    this.strikes = new FixedWindow(ratePerSecond * 10, 10_000);
  }

  /** Counts one event; whether it is allowed. */
  allows(now = Date.now()): boolean {
    return this.perSecond.take(now) || this.burst.take(now);
  }

  /** Records a refused event; true once the socket has been refused too often (flooding). */
  strikeOut(now = Date.now()): boolean {
    return !this.strikes.take(now);
  }
}
