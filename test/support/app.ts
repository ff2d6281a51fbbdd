import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_JWT_SECRET } from './tokens.js';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface AppOptions {
  redisUrl?: string;
  prefix?: string;
  env?: Record<string, string>;
}

/** Settings that make timing-based behaviour fast enough to test. */
export const FAST_PRESENCE = {
  PRESENCE_TTL_MS: '1500',
  PRESENCE_HEARTBEAT_INTERVAL_MS: '500',
  REAPER_INTERVAL_MS: '200',
  SOCKET_PING_INTERVAL_MS: '400',
  SOCKET_PING_TIMEOUT_MS: '400',
};

/** One server process (`node dist/main.js`) on a free port. */
export class AppProcess {
  private output = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(options: AppOptions = {}): Promise<AppProcess> {
    const child = spawnServer(options);
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on port (\d+) \(engine/.exec(output);
        if (match) {
          child.stdout?.off('data', onData);
          resolve(Number(match[1]));
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) =>
        reject(new Error(`server exited (${code}) before listening:\n${output}`)),
      );
    });
    const app = new AppProcess(child, port);
    app.output = output;
    child.stdout?.on('data', (chunk: Buffer) => (app.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (app.output += chunk.toString()));
    await app.waitReady();
    return app;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get logs(): string {
    return this.output;
  }

  async waitReady(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const res = await fetch(`${this.url}/health/ready`).catch(() => undefined);
      if (res?.status === 200) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`server not ready after ${timeoutMs} ms:\n${this.output}`);
  }

  /** Resolves once the output (of every process it runs: a primary's workers too) matches. */
  untilLogged(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const streams = [this.child.stdout, this.child.stderr];
      const settle = (err?: Error) => {
        clearTimeout(timer);
        streams.forEach((stream) => stream?.off('data', check));
        return err ? reject(err) : resolve();
      };
      // Registered after the listeners that collect the output: it holds the new chunk.
      const check = () => pattern.test(this.output) && settle();
      const timer = setTimeout(
        () => settle(new Error(`${pattern} not logged within ${timeoutMs} ms:\n${this.output}`)),
        timeoutMs,
      );
      streams.forEach((stream) => stream?.on('data', check));
      check();
    });
  }

  /** Sends a signal and waits for the exit code (SIGKILL: crash; SIGTERM: graceful). */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
    }
    return this.exited;
  }
}

/** Runs the server with the given settings and returns its exit code and output. */
export async function runServerToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawnServer({ env });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

function spawnServer(options: AppOptions): ChildProcess {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    NO_COLOR: '1',
    // Tests read log lines as JSON (NODE_ENV=test would be the pretty console).
    LOG_FORMAT: 'json',
    PORT: '0',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    ...NO_RATE_LIMITS,
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...(options.prefix ? { REDIS_KEY_PREFIX: options.prefix } : {}),
    ...options.env,
  };
  // cwd is a folder without .env: a developer's .env must not leak into tests.
  return spawn(process.execPath, [MAIN], {
    env,
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Rate limits high enough that a test's own connections and requests never hit them. */
/** Limits no functional test reaches; every server starts with them unless a test overrides. */
export const NO_RATE_LIMITS = {
  RATE_CONN_PER_MINUTE_PER_IP: '100000',
  RATE_CONN_VALID_PER_MINUTE_PER_IP: '100000',
  RATE_EVENTS_PER_SECOND: '100000',
  MAX_CONN_PER_USER: '10000',
};
