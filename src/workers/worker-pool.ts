import type { ConsoleLogger } from '@nestjs/common';
import { within } from '../shutdown/shutdown-budget.js';
import { RestartBackoff } from './restart-backoff.js';
import { WorkerProcess, type WorkerExit } from './worker-process.js';

export interface PoolTiming {
  /** From fork to the worker's ready message. */
  startTimeoutMs: number;
  /** From the stop request to the exit; past it the worker is killed (its watchdog failed). */
  stopTimeoutMs: number;
}

interface Slot {
  index: number;
  current?: WorkerProcess;
  readyAt?: number;
  backoff: RestartBackoff;
  restart?: NodeJS.Timeout;
  /** A worker for this slot is starting (a roll's replacement or a restart). */
  starting: boolean;
}

const CONTEXT = 'Primary';

/**
 * The primary's workers, one per slot: started together, replaced after an unexpected
 * exit (with backoff), rolled one at a time, stopped together.
 */
export class WorkerPool {
  private readonly slots: Slot[];
  /** Every worker forked and not yet exited, replacements and retiring ones included. */
  private readonly live = new Set<WorkerProcess>();
  private stopping = false;
  private rolling = false;

  constructor(
    count: number,
    private readonly timing: PoolTiming,
    private readonly logger: ConsoleLogger,
  ) {
    this.slots = Array.from({ length: count }, (_, index) => ({
      index,
      backoff: new RestartBackoff(),
      starting: false,
    }));
  }

  /** Starts every worker; rejects if one fails to become ready. */
  async start(): Promise<WorkerProcess[]> {
    return Promise.all(this.slots.map((slot) => this.launch(slot)));
  }

  /**
   * Replaces each worker in turn: the replacement (same slot) must be ready before the old
   * one is asked to stop. The old one's clients, told to reconnect, reach the other
   * workers and resume their presence with the same connId: nobody sees them leave.
   * A replacement that fails to start ends the roll, leaving the old worker serving.
   */
  async roll(): Promise<void> {
    if (this.rolling || this.stopping) {
      this.log({ msg: 'rolling restart: ignored, one is running or the primary is stopping' });
      return;
    }
    this.rolling = true;
    this.log({ msg: 'rolling restart: begin', workers: this.slots.length });
    try {
      for (const slot of this.slots) {
        await this.rollSlot(slot);
      }
      this.log({ msg: 'rolling restart: done', pids: this.slots.map((s) => s.current?.pid) });
    } catch (err) {
      if (this.stopping) {
        this.log({ msg: 'rolling restart: ended by the stop' });
      } else {
        this.logger.error(
          { msg: 'rolling restart: stopped', err: String(err) },
          undefined,
          CONTEXT,
        );
      }
    } finally {
      this.rolling = false;
    }
  }

  /** Asks every worker to stop and waits for all; true when every one stopped cleanly. */
  async stop(reason: string): Promise<boolean> {
    this.stopping = true;
    this.slots.forEach((slot) => clearTimeout(slot.restart));
    const workers = [...this.live];
    this.log({ msg: 'stopping workers', reason, pids: workers.map((w) => w.pid) });
    const exits = await Promise.all(workers.map((w) => this.retire(w, reason)));
    // A worker still starting is ended by SIGTERM before it has a graceful stop: expected.
    return exits.every(
      (exit, n) => exit.code === 0 || (!workers[n].ready && exit.signal === 'SIGTERM'),
    );
  }

  /** The last resort: ends every worker now. */
  killAll(): void {
    this.live.forEach((worker) => worker.kill());
  }

  private async rollSlot(slot: Slot): Promise<void> {
    const old = slot.current;
    if (this.stopping || !old) {
      return; // an empty slot is being restarted already, with the new code
    }
    this.log({
      msg: 'rolling restart: starting a replacement',
      worker: slot.index,
      oldPid: old.pid,
    });
    const fresh = await this.launch(slot);
    this.log({
      msg: 'rolling restart: replacement ready, stopping the old worker',
      worker: slot.index,
      pid: fresh.pid,
      oldPid: old.pid,
    });
    const exit = await this.retire(old, 'rolling restart');
    this.log({
      msg: 'rolling restart: old worker stopped',
      worker: slot.index,
      oldPid: old.pid,
      ...exit,
    });
  }

  /** Forks a worker for `slot`, waits until it is ready, then makes it the slot's. */
  private async launch(slot: Slot): Promise<WorkerProcess> {
    slot.starting = true;
    try {
      return await this.forkUntilReady(slot);
    } finally {
      slot.starting = false;
    }
  }

  private async forkUntilReady(slot: Slot): Promise<WorkerProcess> {
    const worker = WorkerProcess.fork(slot.index);
    this.live.add(worker);
    void worker.exited.then((exit) => this.onExit(slot, worker, exit));
    this.log({ msg: 'worker starting', worker: slot.index, pid: worker.pid });
    try {
      const ready = await worker.untilReady(this.timing.startTimeoutMs);
      this.log({ msg: 'worker ready', worker: slot.index, pid: worker.pid, node: ready.nodeId });
    } catch (err) {
      worker.kill();
      throw new Error(
        `worker ${slot.index} (pid ${worker.pid}) failed to start: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (!this.stopping) {
      slot.current = worker;
      slot.readyAt = Date.now();
    }
    return worker;
  }

  private async retire(worker: WorkerProcess, reason: string): Promise<WorkerExit> {
    worker.drainRouting();
    worker.requestStop(reason);
    if (!(await within(worker.exited, this.timing.stopTimeoutMs))) {
      this.logger.error(
        {
          msg: 'worker did not stop in time: killing it',
          pid: worker.pid,
          timeoutMs: this.timing.stopTimeoutMs,
        },
        undefined,
        CONTEXT,
      );
      worker.kill();
    }
    return worker.exited;
  }

  private onExit(slot: Slot, worker: WorkerProcess, exit: WorkerExit): void {
    this.live.delete(worker);
    this.log({ msg: 'worker exited', worker: slot.index, pid: worker.pid, ...exit });
    if (slot.current !== worker) {
      return; // retired by a roll, or never made the slot's
    }
    slot.current = undefined;
    if (!this.stopping) {
      this.restartLater(slot);
    }
  }

  /** A worker that died by itself is replaced, sooner after a stable run than in a crash loop. */
  private restartLater(slot: Slot): void {
    const delayMs = slot.backoff.next(slot.readyAt);
    this.logger.warn(
      { msg: 'worker died unexpectedly: restarting it', worker: slot.index, delayMs },
      CONTEXT,
    );
    slot.restart = setTimeout(() => {
      slot.restart = undefined;
      // A replacement already on its way (a roll's) takes the slot: never two per slot.
      if (this.stopping || slot.current || slot.starting) {
        return;
      }
      this.launch(slot).catch((err: unknown) => {
        this.logger.error({ msg: 'worker restart failed', err: String(err) }, undefined, CONTEXT);
        if (!this.stopping && !slot.current) {
          this.restartLater(slot);
        }
      });
    }, delayMs);
  }

  private log(entry: Record<string, unknown>): void {
    this.logger.log(entry, CONTEXT);
  }
}
