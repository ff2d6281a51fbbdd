import { AppProcess } from '../support/app.js';
import { freePort, RedisServer, uniquePrefix } from '../support/redis-server.js';
import { until } from './sdk-helpers.js';
import { Player } from './sdk-player.js';
import { isAlive, logged, workerStats } from './workers-helpers.js';

const WORKERS = 2;
const ROOM = 'workers-room';
const GRACE_MS = 1000;
/** A worker's start on a loaded CI machine (about 3 s here when idle), with a margin. */
const WORKER_START_MS = 30_000;
/** Long enough that every client is back (reconnect included) well before it. */
const TTL_MS = 12_000;

/**
 * `node dist/main.js` with WORKERS=2: a primary that owns the port and two workers behind
 * it (node:cluster, @socket.io/sticky). The tests run in order on one primary: serve,
 * roll (SIGHUP), stop (SIGTERM).
 */
describe('WORKERS=2: one port, sticky sessions, rolling restart on SIGHUP, stop on SIGTERM', () => {
  let redis: RedisServer;
  let app: AppProcess;
  let metricsPort: number;
  let observer: Player;
  let players: Player[] = [];
  const everyone = () => [observer, ...players];
  const pids = async () => (await workerStats(metricsPort, WORKERS)).map((w) => w.pid);

  beforeAll(async () => {
    redis = await RedisServer.start();
    metricsPort = await freePort();
    app = await AppProcess.start({
      redisUrl: redis.url,
      prefix: uniquePrefix(),
      env: {
        WORKERS: String(WORKERS),
        METRICS_PORT: String(metricsPort),
        SHUTDOWN_GRACE_MS: String(GRACE_MS),
        SHUTDOWN_RECONNECT_JITTER_MS: '300',
        PRESENCE_TTL_MS: String(TTL_MS),
        PRESENCE_HEARTBEAT_INTERVAL_MS: '2000',
        REAPER_INTERVAL_MS: '200',
        SOCKET_PING_INTERVAL_MS: '4000',
        SOCKET_PING_TIMEOUT_MS: '4000',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(everyone().map((client) => client?.close()));
    await app?.kill('SIGKILL');
    await redis?.stop();
  }, 30_000);

  it('polling and websocket clients on both workers join one room and hear each other', async () => {
    // players of the SDK alone: each resumes its room after every reconnect by itself
    const client = (userId: string, transport: 'polling' | 'websocket') =>
      Player.open(app.url, userId, ROOM, { transports: [transport] });
    observer = await client('observer', 'websocket');
    players = [
      await client('poll-0', 'polling'),
      await client('ws-0', 'websocket'),
      await client('poll-1', 'polling'),
      await client('ws-1', 'websocket'),
    ];
    expect(players.map((p) => p.transport)).toEqual([
      'polling',
      'websocket',
      'polling',
      'websocket',
    ]);

    // least-connection routing spread the sessions over both workers
    const stats = await workerStats(metricsPort, WORKERS);
    expect(stats.map((w) => w.connections).reduce((a, b) => a + b)).toBe(everyone().length);
    expect(stats.every((w) => w.connections > 0)).toBe(true);

    // every player's message reaches every other client, whichever worker holds it
    for (const sender of players) {
      await sender.send(`hello-from-${sender.connId}`);
    }
    for (const sender of players) {
      const others = everyone().filter((c) => c !== sender);
      await Promise.all(others.map((c) => c.heard(`hello-from-${sender.connId}`)));
    }
  }, 30_000);

  it('SIGHUP replaces both workers one at a time: every client resumes its connId, nobody leaves', async () => {
    const oldPids = await pids();
    const reconnectsBefore = everyone().map((c) => c.reconnects);

    app.child.kill('SIGHUP');
    await app.untilLogged(/"rolling restart: done"/, 2 * WORKER_START_MS);

    // every client was on an old worker: told to reconnect, it came back as a resume
    await Promise.all(everyone().map((c, n) => c.back(reconnectsBefore[n] + 1)));
    for (const client of everyone()) {
      expect(client.joins.slice(1).map((j) => [j.connId, j.resumed])).toEqual(
        client.joins.slice(1).map(() => [client.connId, true]),
      );
      expect(client.refusals.filter((code) => code !== 'SHUTTING_DOWN')).toEqual([]);
      expect(client.leaves).toEqual([]);
    }

    // new workers in the same slots (metrics ports), under the same primary
    const newPids = await pids();
    expect(newPids.filter((pid) => oldPids.includes(pid))).toEqual([]);
    expect(app.child.exitCode).toBeNull();
    expect(logged(app, 'worker exited').map((e) => [e.pid, e.code])).toEqual(
      oldPids.map((pid) => [pid, 0]),
    );

    // and the room still works across them
    await players[0].send('after-roll');
    const others = everyone().filter((c) => c !== players[0]);
    await Promise.all(others.map((c) => c.heard('after-roll')));
  }, 90_000);

  it('a worker that dies is replaced in its slot; its clients resume on the other one', async () => {
    const before = await workerStats(metricsPort, WORKERS);
    const victim = before[0].connections >= before[1].connections ? 0 : 1;
    const reconnectsBefore = everyone().map((c) => c.reconnects);
    const outagesBefore = everyone().map((c) => c.outages);
    const started = (n: number) => new RegExp(`("msg":"worker ready","worker".*?){${n}}`, 's');
    const starts = logged(app, 'worker ready').filter((e) => 'worker' in e).length;

    process.kill(before[victim].pid, 'SIGKILL');

    // its clients lost their transport, reconnected to the other worker and resumed
    await app.untilLogged(started(starts + 1), WORKER_START_MS);
    // (a polling client notices at its next request: its long-poll may wait in the primary)
    const droppedNow = () => everyone().map((c, n) => (c.outages > outagesBefore[n] ? 1 : 0));
    const count = () => droppedNow().reduce<number>((a, b) => a + b, 0);
    await until(() => count() >= before[victim].connections, 15_000, 'its clients noticed');
    const dropped = droppedNow();
    expect(count()).toBe(before[victim].connections);
    await Promise.all(everyone().map((c, n) => c.back(reconnectsBefore[n] + dropped[n])));
    for (const client of everyone()) {
      expect(client.joins.slice(1).every((j) => j.resumed && j.connId === client.connId)).toBe(
        true,
      );
      expect(client.leaves).toEqual([]);
    }

    // a new worker in the victim's slot (its metrics port); the other one and the primary stay
    const after = await workerStats(metricsPort, WORKERS);
    expect(after[victim].pid).not.toBe(before[victim].pid);
    expect(after[1 - victim].pid).toBe(before[1 - victim].pid);
    expect(app.child.exitCode).toBeNull();
  }, 60_000);

  it('SIGTERM to the primary stops every worker gracefully: clients are told, everything exits 0', async () => {
    const workerPids = await pids();
    const noticesBefore = everyone().map((c) => c.notices.length);

    const code = await app.kill('SIGTERM');

    expect(code).toBe(0);
    await Promise.all(everyone().map((c, n) => c.noticed(noticesBefore[n] + 1)));
    expect(workerPids.filter(isAlive)).toEqual([]);
    const exits = logged(app, 'worker exited').filter((e) => workerPids.includes(e.pid as number));
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
    expect(logged(app, 'shutdown complete').filter((e) => e.reason === 'SIGTERM')).toHaveLength(
      WORKERS + 1,
    );
  }, 30_000);
});
