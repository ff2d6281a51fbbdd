import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';

const INSTALL_HINT =
  'prometheus/promtool were not found on PATH. The monitoring tests run them. Install them ' +
  '(Debian/Ubuntu: `apt-get install -y prometheus`) and run again.';

/** Runs promtool with `args`; resolves with its exit code and output (stdout + stderr). */
export function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : NaN) : 0;
      if (Number.isNaN(code)) {
        reject(new Error(`${INSTALL_HINT}\n${err?.message}`));
        return;
      }
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

export interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: unknown }[] };
}

export interface RuleState {
  name: string;
  type: 'alerting' | 'recording';
  health: string;
  lastError?: string;
}

/** A private Prometheus server on a free port with its own storage; stop() ends it. */
export class PrometheusServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** Starts with `config` (prometheus.yml text) and resolves once /-/ready answers 200. */
  static async start(config: string): Promise<PrometheusServer> {
    if (spawnSync('prometheus', ['--version']).error) {
      throw new Error(INSTALL_HINT);
    }
    const dir = mkdtempSync(join(tmpdir(), 'avalon-prometheus-'));
    writeFileSync(join(dir, 'prometheus.yml'), config);
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const server = new PrometheusServer(child, dir, port);
    await server.untilReady();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** An instant query through the HTTP API (an invalid query answers status "error"). */
  async query(expr: string): Promise<QueryResult> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await res.json()) as QueryResult;
  }

  async rules(): Promise<RuleState[]> {
    const res = await fetch(`${this.url}/api/v1/rules`);
    const body = (await res.json()) as { data: { groups: { rules: RuleState[] }[] } };
    return body.data.groups.flatMap((group) => group.rules);
  }

  async targets(): Promise<{ health: string; labels: Record<string, string> }[]> {
    const res = await fetch(`${this.url}/api/v1/targets?state=active`);
    const body = (await res.json()) as {
      data: { activeTargets: { health: string; labels: Record<string, string> }[] };
    };
    return body.data.activeTargets;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async untilReady(timeoutMs = 15_000): Promise<void> {
    let output = '';
    this.child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) {
        throw new Error(`prometheus exited (${this.child.exitCode}):\n${output}`);
      }
      const res = await fetch(`${this.url}/-/ready`).catch(() => undefined);
      if (res?.status === 200) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`prometheus not ready after ${timeoutMs} ms:\n${output}`);
  }
}
