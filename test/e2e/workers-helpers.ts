import type { AppProcess } from '../support/app.js';
import { getJson } from '../support/ops.js';

export interface WorkerStats {
  pid: number;
  connections: number;
}

/** Each worker's /stats, read on its own metrics port (METRICS_PORT + its slot). */
export async function workerStats(metricsPort: number, workers: number): Promise<WorkerStats[]> {
  return Promise.all(
    Array.from({ length: workers }, async (_, slot) => {
      const url = `http://127.0.0.1:${metricsPort + slot}`;
      const { body } = await getJson<{ nodeId: string; connections: number }>(url, '/stats');
      return { pid: Number(body.nodeId.split('-')[0]), connections: body.connections };
    }),
  );
}

/** The JSON log lines of the primary and its workers whose `message.msg` is `msg`. */
export function logged(app: AppProcess, msg: string): Record<string, unknown>[] {
  return app.logs.split('\n').flatMap((line) => {
    const entry = parsed(line);
    return entry?.message?.msg === msg ? [entry.message] : [];
  });
}

function parsed(
  line: string,
): { message?: { msg?: string } & Record<string, unknown> } | undefined {
  try {
    return JSON.parse(line) as { message?: { msg?: string } & Record<string, unknown> };
  } catch {
    return undefined; // Nest's start-up lines, or a line that is not JSON
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
