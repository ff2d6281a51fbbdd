// Redis cost of an unchanged heartbeat, lua mode against batched mode, in one run.
// Usage: npx nest build && node bench/heartbeat-redis-cost.mjs [rounds] [rooms]
// BATCH_SCRIPT=<file.lua> runs batched mode with that script in place of
// presence-heartbeat-batch.lua (same keys and reply), to price a variant of it.
// Starts a private redis-server, joins 1,000 sessions in 100 rooms (default), then sends every
// session an unchanged heartbeat per round: lua mode (one engine.heartbeat each, the
// production client with auto-pipelining) and batched mode (HeartbeatBatcher, 50 ms /
// 100, as HeartbeatSender builds it) with the sessions arriving shuffled or room by room.
// Counts come from INFO commandstats (script calls = EVAL + EVALSHA; commands = all,
// those run inside scripts included) and Redis CPU from INFO cpu (user + sys).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { RedisPresenceEngine } from '../dist/engine/redis/redis-presence.engine.js';
import { HeartbeatBatcher } from '../dist/presence/heartbeat-batcher.js';

const SESSIONS = 1000;
const ROOMS = Number(process.argv[3] ?? 100);
const ROUNDS = Number(process.argv[2] ?? 20);
const TTL_MS = 60_000;

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no']);
  const client = new Redis({ port, enableAutoPipelining: true, commandTimeout: 10_000 });
  await new Promise((resolve) => client.once('ready', resolve));
  return { child, client };
}

async function stats(client) {
  const cpu = String(await client.info('cpu'));
  const seconds = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)[1]);
  const calls = new Map();
  let usec = 0;
  for (const [, name, n, us] of String(await client.info('commandstats')).matchAll(
    /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm,
  )) {
    if (name !== 'info' && name !== 'config|resetstat') {
      calls.set(name, Number(n));
      usec += name === 'eval' || name === 'evalsha' ? Number(us) : 0;
    }
  }
  const total = [...calls.values()].reduce((a, b) => a + b, 0);
  const scripts = (calls.get('eval') ?? 0) + (calls.get('evalsha') ?? 0);
  return {
    cpuUs: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6,
    total,
    scripts,
    usec,
  };
}

/** A seeded shuffle, so every run sends the same order. */
function shuffled(items) {
  let seed = 42;
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

async function measure(client, send) {
  await client.config('RESETSTAT');
  const before = await stats(client);
  for (let round = 0; round < ROUNDS; round++) {
    await send();
  }
  const after = await stats(client);
  const beats = SESSIONS * ROUNDS;
  return {
    scriptCalls: after.scripts / beats,
    commands: after.total / beats,
    scriptUs: after.usec / beats,
    cpuUs: (after.cpuUs - before.cpuUs) / beats,
  };
}

const { child, client } = await startRedis();
const engine = new RedisPresenceEngine(client, { prefix: 'cost', commandTimeoutMs: 10_000 });
await engine.ready();
if (process.env.BATCH_SCRIPT) {
  const lua = readFileSync(process.env.BATCH_SCRIPT, 'utf8');
  client.defineCommand('presenceHeartbeatBatch', { numberOfKeys: 4, lua });
}
const cmds = [];
for (let i = 0; i < SESSIONS; i++) {
  const join = { roomId: `r${i % ROOMS}`, connId: `c${i}`, userId: `u${i}`, node: 'n' };
  const joined = await engine.join({
    ...join,
    state: { i },
    ttlMs: TTL_MS,
    maxMembers: 100,
    maxConnsPerUser: 4,
  });
  cmds.push({ ...join, epoch: joined.epoch, ttlMs: TTL_MS, ops: [] });
}
const batcher = new HeartbeatBatcher((batch) => engine.heartbeatMany(batch), 50, 100);
const lua = () => Promise.all(cmds.map((cmd) => engine.heartbeat(cmd)));
const batched = (order) => () => Promise.all(order.map((cmd) => batcher.submit(cmd)));
const random = shuffled(cmds);
const byRoom = [...cmds].sort((a, b) => (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0));
await lua();
await batched(random)();

const rows = {};
for (let pass = 0; pass < 2; pass++) {
  for (const [name, send] of [
    ['lua', lua],
    ['batched, shuffled arrival', batched(random)],
    ['batched, room by room', batched(byRoom)],
  ]) {
    const m = await measure(client, send);
    rows[name] =
      pass === 0
        ? m
        : Object.fromEntries(Object.keys(m).map((k) => [k, (rows[name][k] + m[k]) / 2]));
  }
}
const base = rows.lua;
console.log(
  `${process.env.BATCH_SCRIPT ? `batch script ${process.env.BATCH_SCRIPT}; ` : ''}` +
    `${SESSIONS} sessions, ${ROOMS} rooms, ${ROUNDS} rounds x 2 passes; per unchanged heartbeat:`,
);
for (const [name, m] of Object.entries(rows)) {
  const fmt = (k, digits) => `${m[k].toFixed(digits)} (${(m[k] / base[k]).toFixed(2)}x)`;
  console.log(
    `${name.padEnd(26)} script calls ${fmt('scriptCalls', 3)}  commands ${fmt('commands', 2)}  ` +
      `script usec ${fmt('scriptUs', 2)}  redis cpu us ${fmt('cpuUs', 2)}`,
  );
}
await engine.close();
await client.quit();
child.kill();
