import cluster, { type Worker } from 'node:cluster';
import { isWorkerReady, type WorkerReady, type WorkerStop } from './ipc.js';
import { WORKER_SLOT_VAR } from './process-role.js';

export interface WorkerExit {
  code: number | null;
  signal: string | null;
}

/**
 * One forked worker as the primary sees it: its slot, when it is ready, when it exits.
 * The slot is its NODE_APP_INSTANCE too, so a replacement keeps the metrics port
 * (METRICS_PORT + NODE_APP_INSTANCE) of the worker it replaces.
 */
export class WorkerProcess {
  readonly exited: Promise<WorkerExit>;
  private readyMessage?: WorkerReady;

  private constructor(
    readonly slot: number,
    readonly worker: Worker,
  ) {
    this.exited = new Promise((resolve) =>
      worker.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  static fork(slot: number): WorkerProcess {
    const worker = cluster.fork({
      NODE_APP_INSTANCE: String(slot),
      [WORKER_SLOT_VAR]: String(slot),
    });
    const created = new WorkerProcess(slot, worker);
    created.setRoutable(false);
    return created;
  }

  get pid(): number | undefined {
    return this.worker.process.pid;
  }

  get ready(): WorkerReady | undefined {
    return this.readyMessage;
  }

  get alive(): boolean {
    return this.worker.process.exitCode === null && this.worker.process.signalCode === null;
  }

  /** Resolves once the worker says it is ready; rejects if it exits or is late first. */
  async untilReady(timeoutMs: number): Promise<WorkerReady> {
    let timer: NodeJS.Timeout | undefined;
    let onMessage: ((message: unknown) => void) | undefined;
    try {
      return await new Promise<WorkerReady>((resolve, reject) => {
        onMessage = (message: unknown) => isWorkerReady(message) && resolve(message);
        this.worker.on('message', onMessage);
        timer = setTimeout(() => reject(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs);
        void this.exited.then(({ code, signal }) =>
          reject(new Error(`exited before ready (code ${code}, signal ${signal})`)),
        );
      }).then((ready) => {
        this.readyMessage = ready;
        this.setRoutable(true);
        return ready;
      });
    } finally {
      clearTimeout(timer);
      if (onMessage) {
        this.worker.off('message', onMessage);
      }
    }
  }

  /**
   * Asks for a graceful stop: over IPC once ready (the worker has wired its stop), else by
   * SIGTERM (before its handlers exist that ends it at once, which is all a worker that
   * has served nobody needs).
   */
  requestStop(reason: string): void {
    if (!this.alive) {
      return;
    }
    if (this.readyMessage && this.worker.isConnected()) {
      const stop: WorkerStop = { type: 'avalon:worker-stop', reason };
      this.worker.send(stop);
    } else {
      this.worker.process.kill('SIGTERM');
    }
  }

  kill(): void {
    if (this.alive) {
      this.worker.process.kill('SIGKILL');
    }
  }

  /** Sends no new session here any more (it still gets the requests of its own sessions). */
  drainRouting(): void {
    this.setRoutable(false);
  }

  /**
   * Whether new sessions may come here. @socket.io/sticky's least-connection method picks
   * the cluster worker with the lowest `clientsCount` (which it keeps on each worker), and
   * every cluster worker is a candidate, even one still starting that would never answer:
   * Infinity (which its increments and decrements keep) leaves this one out whenever
   * another is ready, while the requests of its sessions keep reaching it by their sid.
   */
  private setRoutable(routable: boolean): void {
    (this.worker as Worker & { clientsCount?: number }).clientsCount = routable ? 0 : Infinity;
  }
}
