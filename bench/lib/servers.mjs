/* global fetch */
// The processes a suite measures: a private redis-server, the project's server
// (`dist/main.js`) in a heartbeat mode, and the bare Socket.IO baseline. Server CPU is read
// from /proc/<pid>/stat (utime + stime) for both, so the two are measured the same way.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { BENCH_SECRET } from './client.mjs';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const BARE = fileURLToPath(new URL('../bare-server.mjs', import.meta.url));
const PROBE = fileURLToPath(new URL('./loop-probe.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

export const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** Spawns a process and resolves once its output matches `ready` (rejects if it exits). */
export function startProcess(command, args, { env, cwd, ipc = false }, ready) {
  const stdio = ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc'] : [])];
  const child = spawn(command, args, { env, cwd, stdio });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) {
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        resolve({ child, match });
      }
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) =>
      reject(new Error(`${command} exited ${code}: ${output.slice(-2000)}`)),
    );
  });
}

export const stop = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

/** CPU time (user + system) a process has used so far, in µs. */
export function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/** A private redis-server on a free port, with the readings the suites compare. */
export async function startRedis() {
  const port = await freePort();
  const { child } = await startProcess(
    'redis-server',
    ['--port', String(port), '--save', '', '--appendonly', 'no'],
    { env: { PATH: process.env.PATH } },
    /Ready to accept connections/,
  );
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url);
  const version = /redis_version:(\S+)/.exec(await client.info('server'))[1];
  return {
    url,
    version,
    /** Commands run so far (those inside scripts included, INFO excluded) and CPU in µs. */
    reading: () => redisReading(client),
    async stop() {
      await client.quit();
      await stop(child);
    },
  };
}

/** One Redis node's commands run so far (by name, INFO excluded) and its CPU in µs. */
export async function redisReading(client) {
  const stats = await client.info('commandstats');
  const cpu = await client.info('cpu');
  const calls = {};
  for (const [, name, count] of stats.matchAll(/cmdstat_(\S+?):calls=(\d+)/g)) {
    if (name !== 'info') {
      calls[name] = Number(count);
    }
  }
  const seconds = (field) => Number(new RegExp(`${field}:([\\d.]+)`).exec(cpu)[1]);
  return { calls, cpuUs: (seconds('used_cpu_sys') + seconds('used_cpu_user')) * 1e6 };
}

/** What changed in Redis between two readings: commands (total and by name) and CPU µs. */
export function redisDelta(before, after) {
  const byCommand = {};
  let total = 0;
  for (const [name, count] of Object.entries(after.calls)) {
    const delta = count - (before.calls[name] ?? 0);
    if (delta > 0) {
      byCommand[name] = delta;
      total += delta;
    }
  }
  return { total, byCommand, cpuUs: after.cpuUs - before.cpuUs };
}

const LIMITS_OFF = {
  RATE_CONN_PER_MINUTE_PER_IP: '1000000',
  RATE_CONN_VALID_PER_MINUTE_PER_IP: '1000000',
  RATE_EVENTS_PER_SECOND: '100000',
  MAX_CONN_PER_USER: '100000',
  MAX_CONN_PER_INSTANCE: '1000000',
  ROOM_MAX_MEMBERS: '5000',
};

/** The heartbeat mode a project target runs in: `cluster` is lua mode on a Redis Cluster. */
const heartbeatMode = (target) => (target === 'cluster' ? 'lua' : target);

/**
 * How to start one server: `target` is `bare` (the baseline) or a project mode (`memory`,
 * `lua`, `batched`, which need `redisUrl`; `cluster`, which needs `clusterNodes`). `node` is
 * the binary that runs it.
 */
export function launchSpec(target, { node, redisUrl, clusterNodes, prefix, env = {} }) {
  const isBare = target === 'bare';
  const settings = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    NO_COLOR: '1',
    PORT: '0',
    AUTH_JWT_SECRET: BENCH_SECRET,
    ...LIMITS_OFF,
    ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix } : {}),
    ...(clusterNodes ? { REDIS_CLUSTER_NODES: clusterNodes, REDIS_KEY_PREFIX: prefix } : {}),
    ...(isBare || target === 'memory' ? {} : { PRESENCE_HEARTBEAT_MODE: heartbeatMode(target) }),
    ...env,
  };
  // The project's server runs from a folder without .env: a developer's .env must not leak in.
  return {
    command: node,
    args: [isBare ? BARE : MAIN],
    options: { env: settings, cwd: isBare ? ROOT : tmpdir() },
    ready: /listening on port (\d+) \(engine/,
  };
}

/**
 * Starts one server (see launchSpec) with the loop probe loaded, and resolves once it is
 * listening (and ready).
 */
export async function startServer(target, settings) {
  const isBare = target === 'bare';
  const spec = launchSpec(target, settings);
  const { child, match } = await startProcess(
    spec.command,
    ['--import', PROBE, ...spec.args],
    { ...spec.options, ipc: true },
    spec.ready,
  );
  const url = `http://127.0.0.1:${match[1]}`;
  if (!isBare) {
    await waitReady(url);
  }
  return {
    target,
    url,
    pid: child.pid,
    cpuUs: () => cpuMicros(child.pid),
    /** `{ rss, heapUsed }` as the process itself reports them (GET /stats on both). */
    async memory() {
      const stats = await (await fetch(`${url}/stats`)).json();
      return stats.memory;
    },
    /** Starts the probe's event-loop delay and GC readings afresh. */
    resetLoop: () => askProbe(child, 'probe:reset'),
    /** `{ delayP50Ms, delayP99Ms, delayMaxMs, gc }` since the last reset (loop-probe.mjs). */
    loop: async () => (await askProbe(child, 'probe:read')).reading,
    stop: () => stop(child),
  };
}

/** One question to the server's loop probe over IPC; resolves with its answer. */
function askProbe(child, question) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send(question);
  });
}

async function waitReady(url) {
  for (let tries = 0; tries < 200; tries++) {
    const res = await fetch(`${url}/health/ready`).catch(() => undefined);
    if (res?.status === 200) {
      return;
    }
    await sleep(50);
  }
  throw new Error(`${url} not ready after 10 s`);
}

/** Starts `count` processes of `target` side by side (sharing one Redis when it needs one). */
export const startServers = (target, count, options) =>
  Promise.all(Array.from({ length: count }, () => startServer(target, options)));

/** Whether `target` stores on Redis (and so can span processes). */
export const usesRedis = (target) => ['lua', 'batched', 'cluster'].includes(target);

/** The Redis `target` stores on: the cluster for `cluster`, else the one redis-server. */
export const redisOf = (target, { redis, cluster }) => (target === 'cluster' ? cluster : redis);

/** startServer's settings naming the Redis `target` stores on (none for bare and memory). */
export function redisSettings(target, stores) {
  if (target === 'cluster') {
    return { clusterNodes: stores.cluster.seeds };
  }
  return usesRedis(target) ? { redisUrl: stores.redis.url } : {};
}
