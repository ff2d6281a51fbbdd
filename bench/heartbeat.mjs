// Heartbeat benchmark: two server processes on one private redis-server, ROOMS × USERS
// sockets joined, each heartbeating every INTERVAL_MS for DURATION_S (every other beat
// changes the state). Prints ack latency percentiles, throughput and Redis commands per
// heartbeat, once per heartbeat mode. Usage: npm run bench [-- --rooms 100 --users 10 ...]
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { Redis } from 'ioredis';
import { io } from 'socket.io-client';

const { values: opt } = parseArgs({
  options: {
    rooms: { type: 'string', default: '100' },
    users: { type: 'string', default: '10' },
    interval: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '20' },
    modes: { type: 'string', default: 'lua,batched' },
  },
});
const ROOMS = Number(opt.rooms);
const USERS = Number(opt.users);
const INTERVAL_MS = Number(opt.interval);
const DURATION_S = Number(opt.duration);
const SECRET = 'bench-secret-0123456789abcdef';

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

function startProcess(cmd, args, env, ready) {
  const child = spawn(cmd, args, {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve({ child, match: m });
    });
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${out.slice(-2000)}`)));
  });
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function runMode(mode, redisUrl) {
  const env = {
    NODE_ENV: 'production',
    NO_COLOR: '1',
    PORT: '0',
    AUTH_JWT_SECRET: SECRET,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `bench-${mode}-${Date.now()}`,
    PRESENCE_HEARTBEAT_MODE: mode,
    RATE_CONN_PER_MINUTE_PER_IP: '1000000',
    RATE_EVENTS_PER_SECOND: '1000',
    MAX_CONN_PER_USER: '100',
    MAX_CONN_PER_INSTANCE: '100000',
  };
  const servers = await Promise.all(
    [0, 1].map(() =>
      startProcess(process.execPath, ['dist/main.js'], env, /listening on port (\d+) \(engine/),
    ),
  );
  const urls = servers.map(({ match }) => `http://127.0.0.1:${match[1]}`);
  const key = new TextEncoder().encode(SECRET);
  const sockets = [];
  for (let r = 0; r < ROOMS; r++) {
    for (let u = 0; u < USERS; u++) {
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(`u${r}-${u}`)
        .setExpirationTime('1h')
        .sign(key);
      const socket = io(urls[(r * USERS + u) % 2], {
        auth: { token },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      // Listen at once: a socket may connect while the next token is being signed.
      const connected = new Promise((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', (err) => reject(new Error(`connect refused: ${err.message}`)));
      });
      sockets.push({ socket, connected, roomId: `room-${r}`, connId: `c-${r}-${u}` });
    }
  }
  await Promise.all(sockets.map(({ connected }) => connected));
  console.error(`[${mode}] ${sockets.length} sockets connected`);
  for (const s of sockets) {
    const ack = await s.socket.emitWithAck('presence:join', {
      roomId: s.roomId,
      connId: s.connId,
      state: { beat: 0 },
    });
    s.epoch = ack.data.epoch;
  }
  const redis = new Redis(redisUrl);
  const commandsBefore = Number(
    /total_commands_processed:(\d+)/.exec(await redis.info('stats'))[1],
  );
  const latencies = [];
  let errors = 0;
  const started = Date.now();
  const deadline = started + DURATION_S * 1000;
  await Promise.all(
    sockets.map(async (s, i) => {
      await new Promise((r) => setTimeout(r, (i / sockets.length) * INTERVAL_MS)); // spread the phase
      for (let beat = 1; Date.now() < deadline; beat++) {
        const t0 = performance.now();
        const payload = {
          roomId: s.roomId,
          connId: s.connId,
          epoch: s.epoch,
          ...(beat % 2 ? { statePatch: { beat } } : {}),
        };
        const ack = await s.socket
          .timeout(5000)
          .emitWithAck('presence:heartbeat', payload)
          .catch(() => ({ ok: false }));
        latencies.push(performance.now() - t0);
        if (!ack.ok) errors++;
        await new Promise((r) =>
          setTimeout(r, Math.max(0, INTERVAL_MS - (performance.now() - t0))),
        );
      }
    }),
  );
  const elapsedS = (Date.now() - started) / 1000;
  const commands =
    Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))[1]) - commandsBefore;
  sockets.forEach(({ socket }) => socket.close());
  await redis.quit();
  await Promise.all(
    servers.map(
      ({ child }) =>
        new Promise((r) => {
          child.once('exit', r);
          child.kill('SIGTERM');
        }),
    ),
  );
  latencies.sort((a, b) => a - b);
  return {
    mode,
    sockets: sockets.length,
    heartbeats: latencies.length,
    errors,
    perSecond: Math.round(latencies.length / elapsedS),
    mean: (latencies.reduce((sum, ms) => sum + ms, 0) / latencies.length).toFixed(2),
    p50: percentile(latencies, 50).toFixed(2),
    p95: percentile(latencies, 95).toFixed(2),
    p99: percentile(latencies, 99).toFixed(2),
    max: latencies[latencies.length - 1].toFixed(2),
    redisCallsPerBeat: (commands / latencies.length).toFixed(2),
  };
}

const port = await freePort();
const redis = await startProcess(
  'redis-server',
  ['--port', String(port), '--save', '', '--appendonly', 'no'],
  {},
  /Ready to accept connections/,
);
try {
  const results = [];
  for (const mode of opt.modes.split(',')) {
    results.push(await runMode(mode, `redis://127.0.0.1:${port}`));
  }
  console.log(
    `\n${ROOMS} rooms × ${USERS} users, 2 server processes, one heartbeat per ${INTERVAL_MS} ms per socket, ${DURATION_S} s, half of them changing state; latency in ms (client send → ack); redisCallsPerBeat counts every command Redis ran, those inside scripts and the adapter's PUBLISH included`,
  );
  console.table(results);
} finally {
  redis.child.kill('SIGTERM');
}
