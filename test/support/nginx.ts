import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './redis-server.js';

const CONFIG = fileURLToPath(new URL('../../config/', import.meta.url));
const NGINX =
  process.env.NGINX_BIN ?? (spawnSync('nginx', ['-v']).error ? '/usr/sbin/nginx' : 'nginx');

const INSTALL_HINT =
  'nginx was not found (PATH or /usr/sbin/nginx). The nginx suite starts its own nginx. ' +
  'Install it (Debian/Ubuntu: `apt-get install -y nginx`, macOS: `brew install nginx`) and run again.';

/**
 * The shipped config/nginx.conf and config/nginx/*.conf, copied unchanged except for the
 * two site files the config names for that: nginx/listen.conf gets the test's port on
 * loopback, nginx/backends.conf the test's server addresses, each `server` line keeping its
 * parameters (max_fails, fail_timeout). Throws if those files no longer have that shape,
 * so the test never silently runs a config other than the shipped one.
 */
export function renderConfig(confDir: string, port: number, backends: string[]): string {
  cpSync(join(CONFIG, 'nginx.conf'), join(confDir, 'nginx.conf'));
  cpSync(join(CONFIG, 'nginx'), join(confDir, 'nginx'), { recursive: true });
  const listen = readFileSync(join(CONFIG, 'nginx/listen.conf'), 'utf8');
  const listens = listen.match(/^listen \S+;$/gm) ?? [];
  if (listens.length !== 1) {
    throw new Error(
      `config/nginx/listen.conf: expected one \`listen\` line, got ${listens.length}`,
    );
  }
  writeFileSync(
    join(confDir, 'nginx/listen.conf'),
    listen.replace(listens[0], `listen 127.0.0.1:${port};`),
  );
  const shipped = readFileSync(join(CONFIG, 'nginx/backends.conf'), 'utf8');
  const servers = shipped.match(/^server \S+ .*;$/gm) ?? [];
  if (servers.length !== backends.length) {
    throw new Error(
      `config/nginx/backends.conf: ${servers.length} servers, the test has ${backends.length}`,
    );
  }
  let rendered = shipped;
  servers.forEach((line, i) => {
    rendered = rendered.replace(line, line.replace(/^server \S+/, `server ${backends[i]}`));
  });
  writeFileSync(join(confDir, 'nginx/backends.conf'), rendered);
  return join(confDir, 'nginx.conf');
}

/**
 * Real nginx on a free loopback port, running the shipped config in front of `backends`
 * (host:port), in the foreground, with its prefix (logs, temp files, pid) in a temp folder.
 */
export class Nginx {
  private readonly exited: Promise<void>;
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly prefix: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  static async start(backends: string[]): Promise<Nginx> {
    if (spawnSync(NGINX, ['-v']).error) {
      throw new Error(INSTALL_HINT);
    }
    const prefix = mkdtempSync(join(tmpdir(), 'avalon-nginx-'));
    // run as root, nginx's workers drop to `nobody`: they must reach temp/ inside
    chmodSync(prefix, 0o755);
    ['logs', 'temp', 'conf'].forEach((dir) => mkdirSync(join(prefix, dir)));
    const port = await freePort();
    const conf = renderConfig(join(prefix, 'conf'), port, backends);
    const args = ['-p', `${prefix}/`, '-c', conf, '-e', join(prefix, 'logs/error.log')];
    args.push('-g', `daemon off; pid ${join(prefix, 'nginx.pid')};`);
    const child = spawn(NGINX, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const nginx = new Nginx(child, port, prefix);
    await nginx.untilAnswering();
    return nginx;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** nginx's error log (and its stderr): what it said about upstreams that failed. */
  errorLog(): string {
    return this.output + readFileSync(join(this.prefix, 'logs/error.log'), 'utf8');
  }

  /** The access log: one line per request with the process that answered it. */
  accessLog(): string {
    return readFileSync(join(this.prefix, 'logs/access.log'), 'utf8');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      // SIGQUIT would wait for every open websocket: SIGTERM is nginx's fast shutdown
      this.child.kill('SIGTERM');
    }
    await this.exited;
    rmSync(this.prefix, { recursive: true, force: true });
  }

  private async untilAnswering(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) {
        throw new Error(`nginx exited (${this.child.exitCode}):\n${this.output}`);
      }
      const res = await fetch(`${this.url}/health/live`).catch(() => undefined);
      if (res) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`nginx did not answer within ${timeoutMs} ms:\n${this.errorLog()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
