/** What a stop needs from the process: the graceful part, the exit, a log. */
export interface StopHooks {
  /** Drains (announce, grace, close sockets, flush) and closes the app, Redis last. */
  stop(reason: string): Promise<void>;
  exit(code: number): void;
  log(entry: { msg: string; reason?: string; err?: string }, stack?: string): void;
  error(entry: { msg: string; reason?: string; err?: string }, stack?: string): void;
}

/**
 * One stop per process. SIGTERM/SIGINT stop gracefully and exit 0; an uncaught exception
 * is logged and stops the same way, exiting 1, since the state it left is unknown but the
 * sockets can still be told to reconnect elsewhere with their presence kept. Anything
 * during a stop (a second signal, another fault) exits 1 at once; so does a failed stop.
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
    this.hooks.stop(reason).then(
      () => {
        this.hooks.log({ msg: 'shutdown complete', reason });
        this.hooks.exit(code);
      },
      (err: unknown) => {
        this.hooks.error({ msg: 'shutdown failed', reason, err: String(err) });
        this.hooks.exit(1);
      },
    );
  }
}
