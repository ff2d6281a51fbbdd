import type { Socket } from 'socket.io-client';
import type { AppProcess } from './app.js';
import { connect, type ConnectOptions, type TestSocket } from './client.js';

/** Helpers for the operations suites (metrics, health, limits, shutdown, hostile input). */

/** Tries to connect until accepted (the server frees a slot once it notices a close). */
export async function connectEventually(
  url: string,
  userId: string,
  options: ConnectOptions = {},
  timeoutMs = 5000,
): Promise<TestSocket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await connect(url, userId, options);
    } catch (err) {
      if (Date.now() > deadline) {
        throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** GET `path` and its JSON body. */
export async function getJson<T = unknown>(
  url: string,
  path: string,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

/** GET `path` and its text body. */
export async function getText(
  url: string,
  path: string,
): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  /** `# TYPE` of every metric family. */
  types: Map<string, string>;
  samples: Sample[];
}

/** Parses Prometheus text format (what prom-client writes). */
export function parseMetrics(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1], type[2]);
      continue;
    }
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) {
      throw new Error(`not a Prometheus sample line: ${line}`);
    }
    const labels: Record<string, string> = {};
    for (const [, key, value] of (sample[2] ?? '').matchAll(
      /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g,
    )) {
      labels[key] = value.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: sample[1], labels, value: Number(sample[3]) });
  }
  return { types, samples };
}

/** Scrapes /metrics of `app`. */
export async function scrape(app: AppProcess): Promise<Scrape> {
  const { status, text } = await getText(app.url, '/metrics');
  if (status !== 200) {
    throw new Error(`/metrics answered ${status}`);
  }
  return parseMetrics(text);
}

/** The value of the sample `name` whose labels include `labels` (undefined when absent). */
export function valueOf(
  scrape: Scrape,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return scrape.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}

/**
 * Resolves once the app's output (stdout + stderr) satisfies `done`, re-checking on every
 * chunk the process writes; fails after `timeoutMs`.
 */
export function untilLogged(
  app: AppProcess,
  done: (logs: string) => boolean,
  timeoutMs = 5000,
): Promise<string> {
  if (done(app.logs)) {
    return Promise.resolve(app.logs);
  }
  const streams = [app.child.stdout, app.child.stderr];
  return new Promise((resolve, reject) => {
    const check = () => {
      // AppProcess appends in its own listener, registered before this one.
      if (done(app.logs)) {
        finish();
        resolve(app.logs);
      }
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`the expected log line did not appear within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      streams.forEach((s) => s?.off('data', check));
    };
    streams.forEach((s) => s?.on('data', check));
  });
}

/** Parsed JSON log lines of `text` (throws on a line that is not JSON). */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`log line is not JSON: ${line}`);
      }
    });
}

/**
 * Emits an event with an ack, bypassing socket.io-client's checks (event names it would
 * refuse to send, numbers as names). `onAck` runs once per ack the server sends.
 */
export function rawEmit(
  socket: TestSocket,
  event: unknown,
  args: unknown[],
  onAck: (reply: unknown) => void,
): number {
  const raw = socket as unknown as {
    ids: number;
    acks: Record<number, (...reply: unknown[]) => void>;
    packet(packet: { type: number; data: unknown[]; id: number }): void;
  };
  const id = raw.ids++;
  raw.acks[id] = (reply: unknown) => onAck(reply);
  raw.packet({ type: 2, data: [event, ...args], id });
  return id;
}

/**
 * Counts the ack packets the socket receives, by ack id, including duplicates that
 * socket.io-client would silently drop (it forgets an ack id once answered).
 */
export function ackCounter(socket: TestSocket): Map<number, number> {
  const counts = new Map<number, number>();
  const manager = (socket as unknown as Socket).io as unknown as {
    on(
      event: 'packet',
      listener: (packet: { type: number; id?: number; nsp: string }) => void,
    ): void;
  };
  manager.on('packet', (packet) => {
    if ((packet.type === 3 || packet.type === 6) && packet.id !== undefined) {
      counts.set(packet.id, (counts.get(packet.id) ?? 0) + 1);
    }
  });
  return counts;
}

/** Awaits the socket's own disconnect and its reason. */
export function disconnection(socket: TestSocket, timeoutMs = 5000): Promise<string> {
  const raw = socket as unknown as Socket;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      raw.off('disconnect', listener);
      reject(new Error(`socket not disconnected within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (reason: string) => {
      clearTimeout(timer);
      resolve(reason);
    };
    raw.once('disconnect', listener);
  });
}

/**
 * Sends a Socket.IO EVENT packet whose JSON array `text` is written by hand (so it can hold
 * what JSON.stringify never writes, e.g. `1e400`) and resolves with its ack.
 */
export function rawFrame(socket: TestSocket, text: string): Promise<unknown> {
  const raw = socket as unknown as {
    ids: number;
    acks: Record<number, (reply: unknown) => void>;
    io: { engine: { write(data: string): void } };
  };
  const id = raw.ids++;
  return new Promise((resolve) => {
    raw.acks[id] = resolve;
    raw.io.engine.write(`2${id}${text}`);
  });
}
