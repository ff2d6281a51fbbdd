import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Ack, JoinResult } from '@avalon-realtime/client/protocol';
import { getJson } from '../support/ops.js';
import { RawSocket } from '../support/raw-socket.js';
import { freePort, RedisServer } from '../support/redis-server.js';
import { TEST_JWT_SECRET, tokenFor } from '../support/tokens.js';
import { Player } from './sdk-player.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PM2 = joinPath(ROOT, 'node_modules/pm2/bin/pm2');
const APP = 'avalon-realtime';

const LIVE_CLIENTS = 50;
const PAUSED_CLIENTS = 5;
const GRACE_MS = 1000;
/** The bound: exit within grace + 1 s; PM2 may wait 3 s more on a loaded machine. */
const KILL_TIMEOUT_MS = GRACE_MS + 1000 + 3000;
/** Long enough that every live client is back (reconnect included) well before it. */
const TTL_MS = 12_000;
const ROOM = 'pm2-room';

const execPm2 = promisify(execFile);

/** The real PM2, with its own PM2_HOME: never the user's ~/.pm2. */
class Pm2 {
  private constructor(readonly home: string) {}

  static async create(): Promise<Pm2> {
    return new Pm2(await mkdtemp(joinPath(tmpdir(), 'avalon-pm2-')));
  }

  async run(...args: string[]): Promise<string> {
    const env = { ...process.env, PM2_HOME: this.home, PM2_LOG_DATE_FORMAT: 'HH:mm:ss.SSS' };
    const { stdout } = await execPm2(process.execPath, [PM2, ...args], { env, timeout: 60_000 });
    return stdout;
  }

  /** The daemon's own log: starts, stops, exit codes and SIGKILLs. */
  daemonLog(): Promise<string> {
    return readFile(joinPath(this.home, 'pm2.log'), 'utf8');
  }

  async pids(): Promise<number[]> {
    const list = JSON.parse(await this.run('jlist')) as { pid: number; name: string }[];
    return list.filter((p) => p.name === APP).map((p) => p.pid);
  }

  async kill(): Promise<void> {
    await this.run('kill').catch(() => {});
    await rm(this.home, { recursive: true, force: true });
  }
}

/**
 * A temporary ecosystem that requires the real config/ecosystem.config.cjs and overrides
 * only what a test must (ports, Redis, secret, short grace and TTL), so the real file is
 * what runs.
 */
async function ecosystem(dir: string, port: number, redisUrl: string): Promise<string> {
  const overrides = {
    script: joinPath(ROOT, 'dist/main.js'),
    // a folder without .env: a developer's .env must not leak into the test
    cwd: dir,
    kill_timeout: KILL_TIMEOUT_MS,
    merge_logs: true,
    out_file: joinPath(dir, 'app.log'),
    error_file: joinPath(dir, 'app.log'),
  };
  const env = {
    PORT: port,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: 'pm2-test',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    METRICS_PORT: '',
    ROOM_MAX_MEMBERS: 100,
    SHUTDOWN_GRACE_MS: GRACE_MS,
    SHUTDOWN_RECONNECT_JITTER_MS: 500,
    PRESENCE_TTL_MS: TTL_MS,
    PRESENCE_HEARTBEAT_INTERVAL_MS: 2000,
    REAPER_INTERVAL_MS: 200,
    SOCKET_PING_INTERVAL_MS: 4000,
    SOCKET_PING_TIMEOUT_MS: 4000,
    // the rate limits stay at their defaults: the reconnect wave must pass them
  };
  // PM2 reads a file as an ecosystem only by its name: *.config.cjs
  const file = joinPath(dir, 'ecosystem.test.config.cjs');
  await writeFile(
    file,
    `const real = require(${JSON.stringify(joinPath(ROOT, 'config/ecosystem.config.cjs'))});
const app = real.apps.find((a) => a.name === ${JSON.stringify(APP)});
module.exports = {
  apps: [{ ...app, ...${JSON.stringify(overrides)}, env: { ...app.env, ...${JSON.stringify(env)} } }],
};
`,
  );
  return file;
}

/** From PM2's "Stopping app" to its "exited" line, per old worker (log times in ms). */
function stopDurations(daemonLog: string): number[] {
  const at = (line: string) => {
    const [h, m, sec] = line.slice(0, 12).split(':').map(Number);
    return (h * 3600 + m * 60 + sec) * 1000;
  };
  const lines = daemonLog.split('\n');
  return [0, 1].map((n) => {
    const stop = lines.find((l) => l.includes(`Stopping app:${APP} id:_old_${n}`)) ?? '';
    const exit = lines.find((l) => l.includes(`[${APP}:_old_${n}] exited`)) ?? '';
    return Math.round(at(exit) - at(stop));
  });
}

async function untilReady(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await getJson(url, '/health/ready').catch(() => ({ status: 0 }));
    if (answer.status === 200) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`${url} not ready after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A client that joins over a raw websocket, then stops reading (a frozen phone). */
async function pausedClient(
  url: string,
  n: number,
): Promise<{ raw: RawSocket; joinSentAt: number }> {
  const raw = await RawSocket.open(url);
  const connected = await raw.connect({ token: await tokenFor(`paused-${n}`) });
  expect(connected).toMatch(/^40/);
  const joinSentAt = Date.now();
  const [ack] = (await raw.request(
    JSON.stringify(['presence:join', { roomId: ROOM, connId: `paused-${n}` }]),
  )) as Ack<JoinResult>[];
  expect(ack.ok).toBe(true);
  raw.stopReading();
  return { raw, joinSentAt };
}

describe('PM2 cluster mode (config/ecosystem.config.cjs): pm2 reload with 50 clients from one address', () => {
  let redis: RedisServer;
  let pm2: Pm2;
  let url: string;
  const clients: Player[] = [];
  const paused: RawSocket[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    pm2 = await Pm2.create();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    await pm2.run('start', await ecosystem(pm2.home, port, redis.url));
    await untilReady(url);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    paused.forEach((p) => p.terminate());
    await pm2?.kill();
    await redis?.stop();
  }, 30_000);

  it('every old worker exits 0 by itself; every live client resumes its connId unrefused; paused ones time out after the TTL', async () => {
    // players of the SDK alone (websocket): each resumes its room after every reconnect
    const observer = await Player.open(url, 'observer', ROOM);
    clients.push(observer);
    clients.push(
      ...(await Promise.all(
        Array.from({ length: LIVE_CLIENTS }, (_, n) => Player.open(url, `player-${n}`, ROOM)),
      )),
    );
    const frozen = await Promise.all(
      Array.from({ length: PAUSED_CLIENTS }, (_, n) => pausedClient(url, n)),
    );
    paused.push(...frozen.map((f) => f.raw));
    const oldPids = await pm2.pids();
    expect(oldPids).toHaveLength(2);

    await pm2.run('reload', APP);

    // PM2 stopped each old worker (SIGINT, its default) and saw it exit 0 by itself: a
    // worker still alive at kill_timeout would be SIGKILLed and logged so
    const daemonLog = await pm2.daemonLog();
    expect(daemonLog).not.toMatch(/SIGKILL/);
    expect(daemonLog.match(/App \[avalon-realtime:_old_\d+\] exited with .*/g)).toEqual([
      'App [avalon-realtime:_old_0] exited with code [0] via signal [SIGINT]',
      'App [avalon-realtime:_old_1] exited with code [0] via signal [SIGINT]',
    ]);

    const newPids = await pm2.pids();
    expect(newPids).toHaveLength(2);
    expect(newPids.filter((pid) => oldPids.includes(pid))).toEqual([]);

    // every live client came back with the same connId as a resume, none refused RATE_LIMITED
    await Promise.all(clients.map((c) => c.back(1)));
    for (const client of clients) {
      expect(client.joins.slice(1).map((j) => [j.connId, j.resumed])).toEqual(
        client.joins.slice(1).map(() => [client.connId, true]),
      );
      expect(client.refusals.filter((code) => code !== 'SHUTTING_DOWN')).toEqual([]);
    }

    const retried = clients.flatMap((c) => c.refusals).length;
    const resumes = clients.reduce((sum, c) => sum + c.joins.length - 1, 0);
    console.log(
      `old workers stopped in ${stopDurations(daemonLog).join(' and ')} ms; ${resumes} resumes ` +
        `from 127.0.0.1, ${retried} handshakes refused SHUTTING_DOWN and retried`,
    );

    // the paused ones leave with reason timeout, never before the TTL since their join
    const pausedIds = frozen.map((_, n) => `paused-${n}`);
    const lastJoin = Math.max(...frozen.map((f) => f.joinSentAt));
    await observer.sawLeaves(PAUSED_CLIENTS, lastJoin + TTL_MS + 5000 - Date.now());
    expect(observer.leaves.map((e) => [e.member.connId, e.reason]).sort()).toEqual(
      pausedIds.map((connId) => [connId, 'timeout']).sort(),
    );
    for (const leave of observer.leaves) {
      const { joinSentAt } = frozen[pausedIds.indexOf(leave.member.connId)];
      expect(leave.receivedAt - joinSentAt).toBeGreaterThanOrEqual(TTL_MS);
    }
    expect((await observer.listed()).map(([connId]) => connId).sort()).toEqual(
      clients.map((c) => c.connId).sort(),
    );
  }, 60_000);
});
