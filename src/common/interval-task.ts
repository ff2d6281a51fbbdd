/**
 * Runs `work` every `intervalMs`, never two at once (a slow run skips ticks instead of
 * piling up), and lets shutdown wait for the run in progress. Failures go to `onError`.
 */
export class IntervalTask {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly onError: (err: Error) => void,
  ) {}

  start(intervalMs: number): void {
    this.timer ??= setInterval(() => this.tick(), intervalMs);
  }

  /** One run now, unless one is in progress. */
  tick(): void {
    this.running ??= this.work()
      .catch((err: Error) => this.onError(err))
      .finally(() => (this.running = undefined));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
