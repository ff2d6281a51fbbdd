import { Logger, type INestApplication } from '@nestjs/common';
import { setTimeout as wait } from 'node:timers/promises';
import { AppConfig } from '../config/app-config.js';
import { StorageBackend } from '../engine/storage-backend.js';
import { Readiness } from '../health/readiness.js';
import type { ProcessStop } from '../shutdown/process-stop.js';
import { isWorkerStop, type WorkerReady } from './ipc.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const READY_POLL_MS = 50;

/**
 * A worker's start: initialise the app without listening (the StickyWorkerAdapter takes
 * its connections from the primary), wait until it is ready, and tell the primary so.
 * The primary routes nothing here before that.
 */
export async function serveAsWorker(app: INestApplication, stop: ProcessStop): Promise<void> {
  stopOnPrimaryOrSignal(stop);
  await app.init();
  const readiness = app.get(Readiness);
  while (!readiness.report().ready) {
    await wait(READY_POLL_MS);
  }
  const ready: WorkerReady = {
    type: 'avalon:worker-ready',
    engine: app.get(StorageBackend).name,
    nodeId: app.get(AppConfig).nodeId,
  };
  process.send?.(ready);
  new Logger('Main').log({ msg: 'worker ready', engine: ready.engine, node: ready.nodeId });
}

/**
 * The primary asks a worker to stop over IPC (a rolling restart, or a stop it forwards).
 * A terminal's Ctrl-C or systemd's control-group kill also signal the worker itself, about
 * when the primary's request arrives: whichever comes first starts the one graceful stop
 * and the other is not a "second signal". A signal after a signal still stops at once.
 * SIGHUP is the primary's (a rolling restart): a worker ignores it.
 */
function stopOnPrimaryOrSignal(stop: ProcessStop): void {
  let startedBy: 'primary' | 'signal' | undefined;
  process.on('message', (message: unknown) => {
    if (isWorkerStop(message) && startedBy === undefined) {
      startedBy = 'primary';
      stop.onSignal(message.reason);
    }
  });
  SIGNALS.forEach((signal) =>
    process.on(signal, () => {
      if (startedBy === 'primary') {
        return;
      }
      startedBy = 'signal';
      stop.onSignal(signal);
    }),
  );
  process.on('SIGHUP', () => {});
}
