import { Redis } from 'ioredis';
import { AppProcess, NO_RATE_LIMITS } from './app.js';
import { request, type TestSocket } from './client.js';
import type { RedisServer } from './redis-server.js';
import { uniquePrefix } from './redis-server.js';

/**
 * Timings for fault tests: a TTL long enough to outlive a short Redis outage, heartbeats
 * and pings short enough to notice trouble fast, engine deadlines short enough to assert.
 */
export const FAULT_TIMINGS = {
  PRESENCE_TTL_MS: '4000',
  PRESENCE_HEARTBEAT_INTERVAL_MS: '1000',
  SOCKET_PING_INTERVAL_MS: '1000',
  SOCKET_PING_TIMEOUT_MS: '1000',
  REAPER_INTERVAL_MS: '200',
  REDIS_COMMAND_TIMEOUT_MS: '500',
};

/** Two processes, A and B, on one Redis and one (fresh) prefix. */
export async function startPairOn(
  redis: RedisServer,
  env: Record<string, string> = {},
): Promise<[AppProcess, AppProcess]> {
  const options = {
    redisUrl: redis.url,
    prefix: uniquePrefix(),
    env: { ...NO_RATE_LIMITS, ...FAULT_TIMINGS, ...env },
  };
  const [a, b] = await Promise.all([AppProcess.start(options), AppProcess.start(options)]);
  return [a, b];
}

/** `/health/ready` as status code and parsed body. */
export async function readiness(app: AppProcess): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${app.url}/health/ready`);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}

/**
 * Polls `probe` every `everyMs` until it returns a value other than undefined; fails after
 * `timeoutMs` with `what` and the last value seen. For states with no event to await.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) {
        return value;
      }
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not reached within ${timeoutMs} ms (${lastError instanceof Error ? lastError.message : ''})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Waits until `/health/ready` answers `status` (e.g. 503 while Redis is away). */
export const readinessBecomes = (app: AppProcess, status: number, timeoutMs = 10_000) =>
  pollUntil(
    `GET /health/ready on :${app.port} = ${status}`,
    async () => {
      const r = await readiness(app);
      return r.status === status ? r : undefined;
    },
    timeoutMs,
  );

/** A plain client for poking Redis itself (CLIENT KILL, SCRIPT FLUSH, CLIENT PAUSE). */
export async function adminClient(redis: RedisServer): Promise<Redis> {
  const client = new Redis(redis.url, {
    protocol: 2,
    lazyConnect: true,
    maxRetriesPerRequest: null,
    connectionName: 'fault-admin',
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** One line of `CLIENT LIST` as key → value. */
export function parseClientList(text: string): Record<string, string>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) =>
      Object.fromEntries(
        line
          .trim()
          .split(' ')
          .map((pair) => {
            const at = pair.indexOf('=');
            return [pair.slice(0, at), pair.slice(at + 1)];
          }),
      ),
    );
}

/**
 * The process is still running and never logged an unhandled rejection (main.ts logs
 * them instead of crashing: a fault test must see none).
 */
export function expectSurvived(...apps: AppProcess[]): void {
  for (const app of apps) {
    expect(app.logs).not.toContain('unhandled rejection');
    expect({ port: app.port, exitCode: app.child.exitCode, signal: app.child.signalCode }).toEqual({
      port: app.port,
      exitCode: null,
      signal: null,
    });
  }
}

/** Whatever an ack holds, or how a request failed to get one in time. */
export interface TimedAck {
  event: string;
  ms: number;
  ack?: { ok: boolean; data?: unknown; error?: { code: string; message: string } };
  /** Set when no ack arrived within the deadline. */
  noAck?: string;
}

/** Sends a request and reports its ack (or its absence) and how long it took. */
export async function timedRequest(
  socket: TestSocket,
  event: string,
  payload: unknown,
  deadlineMs: number,
): Promise<TimedAck> {
  const started = Date.now();
  try {
    const ack = (await request(socket, event, payload, deadlineMs)) as TimedAck['ack'];
    return { event, ms: Date.now() - started, ack };
  } catch (err) {
    return { event, ms: Date.now() - started, noAck: (err as Error).message };
  }
}

/**
 * Stops a process gracefully, or with SIGKILL when it has not exited after `graceMs`
 * (teardown must not hang when a test failed with Redis still away).
 */
export async function stopApp(app: AppProcess | undefined, graceMs = 8000): Promise<void> {
  if (!app) {
    return;
  }
  const exited = app.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    await app.kill('SIGKILL');
  }
}

/** Waits until `/health/ready` answers 503 naming every one of `parts` as failing. */
export const unreadyNaming = (app: AppProcess, parts: string[], timeoutMs = 10_000) =>
  pollUntil(
    `GET /health/ready on :${app.port} = 503 naming ${parts.join(', ')}`,
    async () => {
      const r = await readiness(app);
      const failing = (r.body as { failing?: string[] } | undefined)?.failing ?? [];
      return r.status === 503 && parts.every((p) => failing.includes(p)) ? r : undefined;
    },
    timeoutMs,
  );
