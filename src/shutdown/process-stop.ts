/** What a stop needs from the process: the graceful part, the exit, a log. */
export interface StopHooks {
  /** Drains (announce, grace, close sockets, flush) and closes the app, Redis last. */
  stop(reason: string): Promise<void>;
  exit(code: number): void;
  log(entry: LogEntry, stack?: string): void;
  error(entry: LogEntry, stack?: string): void;
  /** Last resort: past this many ms after the signal the process exits whatever is pending. */
  watchdogMs?: number;
  /** What is still pending, for the watchdog's log line. */
  pending?(): Record<string, unknown>;
}

type LogEntry = { msg: string; reason?: string; err?: string; [field: string]: unknown };

/**
 * One stop per process. SIGTERM/SIGINT stop gracefully and exit 0; an uncaught exception
 * is logged and stops the same way, exiting 1, since the state it left is unknown but the
 * sockets can still be told to reconnect elsewhere with their presence kept. Anything
 * during a stop (a second signal, another fault) exits 1 at once; so does a failed stop.
 * A stop that outlives its watchdog exits with the code it would have had: a supervisor
 * would SIGKILL it soon after, without its last log lines, and count a crash.
 */
export class ProcessStop {
  private stopping = false;

  constructor(private readonly hooks: StopHooks) {}

  onSignal(signal: string): void {
    this.begin(signal, 0);
  }

  onFault(err: unknown): void {
    const text = err instanceof Error ? err.message : String(err);
    this.hooks.error(
      { msg: 'uncaught exception', err: text },
      err instanceof Error ? err.stack : undefined,
    );
    this.begin('uncaught exception', 1);
  }

  private begin(reason: string, code: number): void {
    if (this.stopping) {
      this.hooks.log({ msg: 'stopping at once', reason });
      this.hooks.exit(1);
      return;
    }
    this.stopping = true;
    const watchdog = this.watch(reason, code);
    this.hooks.stop(reason).then(
      () => {
        clearTimeout(watchdog);
        this.hooks.log({ msg: 'shutdown complete', reason });
        this.hooks.exit(code);
      },
      (err: unknown) => {
        clearTimeout(watchdog);
        this.hooks.error({ msg: 'shutdown failed', reason, err: String(err) });
        this.hooks.exit(1);
      },
    );
  }

  private watch(reason: string, code: number): NodeJS.Timeout | undefined {
    const { watchdogMs } = this.hooks;
    if (watchdogMs === undefined) {
      return undefined;
    }
    return setTimeout(() => {
      this.hooks.error({
        msg: 'shutdown watchdog: exiting with work pending',
        reason,
        watchdogMs,
        ...this.hooks.pending?.(),
      });
      this.hooks.exit(code);
    }, watchdogMs);
  }
}
