/** The messages between the primary and its workers (besides @socket.io/sticky's own). */

/** Worker → primary: the app is initialised and ready (engine loaded, storage connected). */
export interface WorkerReady {
  type: 'avalon:worker-ready';
  engine: string;
  nodeId: string;
}

/** Primary → worker: stop gracefully, as a SIGTERM would. */
export interface WorkerStop {
  type: 'avalon:worker-stop';
  reason: string;
}

export function isWorkerReady(message: unknown): message is WorkerReady {
  return (message as WorkerReady | undefined)?.type === 'avalon:worker-ready';
}

export function isWorkerStop(message: unknown): message is WorkerStop {
  return (message as WorkerStop | undefined)?.type === 'avalon:worker-stop';
}
