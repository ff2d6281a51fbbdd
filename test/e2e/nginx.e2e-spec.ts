import { Agent } from 'node:http';
import { io } from 'socket.io-client';
import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import { closeAll, connect, type TestSocket } from '../support/client.js';
import { Nginx } from '../support/nginx.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { tokenFor } from '../support/tokens.js';
import { connectionsOn, handshake, type Transport } from './nginx-helpers.js';
import { Player, type PlayerOptions } from './sdk-player.js';

/** Failed handshakes per client address per minute (shared by both processes on Redis). */
const FAILED_HANDSHAKES = 3;

const SERVER_ENV = {
  ...NO_RATE_LIMITS,
  RATE_CONN_PER_MINUTE_PER_IP: String(FAILED_HANDSHAKES),
  // nginx is the one proxy in front: the client address is X-Forwarded-For's last entry
  TRUST_PROXY: '1',
  // a long-poll GET is answered within the ping interval: many requests per session; the
  // pong deadline leaves room for a loaded CI machine
  SOCKET_PING_INTERVAL_MS: '1000',
  SOCKET_PING_TIMEOUT_MS: '3000',
  // the default TTL: it outlasts a rolling restart, including nginx's fail_timeout (5 s)
  // and the seconds nginx may answer "no live upstreams" while both processes count as
  // failed, so a moved client resumes
  PRESENCE_TTL_MS: '30000',
  PRESENCE_HEARTBEAT_INTERVAL_MS: '1000',
  SHUTDOWN_GRACE_MS: '600',
  SHUTDOWN_RECONNECT_JITTER_MS: '200',
};

/** Requests each polling client sends in the stickiness test, 150 ms apart. */
const ROUNDS = 15;

const WS: PlayerOptions = { transports: ['websocket'] };
const POLLING: PlayerOptions = { transports: ['polling'] };
const upgrading = (localAddress: string): PlayerOptions => ({
  transports: ['polling', 'websocket'],
  localAddress,
});
const pollingFrom = (localAddress: string): PlayerOptions => ({ ...POLLING, localAddress });

describe('nginx in front of two processes (config/nginx.conf)', () => {
  let redis: RedisServer;
  let nginx: Nginx;
  const apps: AppProcess[] = [];
  const clients: Player[] = [];
  const sockets: TestSocket[] = [];
  const prefix = uniquePrefix();

  const startApp = (port = 0) =>
    AppProcess.start({ redisUrl: redis.url, prefix, env: { ...SERVER_ENV, PORT: String(port) } });

  const open = async (userId: string, roomId: string, options: PlayerOptions) => {
    const client = await Player.open(nginx.url, userId, roomId, options);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    apps.push(...(await Promise.all([startApp(), startApp()])));
    nginx = await Nginx.start(apps.map((app) => `127.0.0.1:${app.port}`));
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    closeAll(...sockets.splice(0));
  });

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(apps.map((app) => app.kill('SIGKILL')));
    await redis?.stop();
  });

  it('websocket and polling clients share a room across both processes', async () => {
    const roomId = 'mixed-room';
    const poller = await open('poller', roomId, POLLING);
    const ws = [];
    for (const user of ['ws-1', 'ws-2', 'ws-3']) {
      ws.push(await open(user, roomId, WS));
    }
    const poller2 = await open('poller-2', roomId, pollingFrom('127.0.0.2'));
    // least_conn spread the websockets: both processes hold clients of this room
    expect(Math.min(...(await Promise.all(apps.map(connectionsOn))))).toBeGreaterThan(0);
    expect([poller, poller2].map((c) => c.transport)).toEqual(['polling', 'polling']);
    expect(ws.map((c) => c.transport)).toEqual(['websocket', 'websocket', 'websocket']);

    // presence events reach the first joiner from both processes and both transports
    for (const later of [...ws, poller2]) {
      await poller.saw(later.connId);
    }
    for (const later of [ws[1], ws[2], poller2]) {
      await ws[0].saw(later.connId);
    }
    // messages from a polling and a websocket client reach every other member
    const everyone = [poller, ...ws, poller2];
    for (const [sender, type] of [
      [poller, 'from-polling'],
      [ws[2], 'from-websocket'],
    ] as const) {
      await sender.send(type);
      await Promise.all(everyone.filter((c) => c !== sender).map((c) => c.heard(type)));
    }
    // readiness passes through; per-process figures stay off the public address
    expect((await fetch(`${nginx.url}/health/ready`)).status).toBe(200);
    for (const path of ['/metrics', '/METRICS', '/metrics/', '/Stats']) {
      expect({ path, status: (await fetch(`${nginx.url}${path}`)).status }).toEqual({
        path,
        status: 404,
      });
    }
    expect(await poller2.listed()).toEqual(everyone.map((c) => [c.connId, 'online']).sort());
  });

  it('keeps every polling session on its process for its whole life; an upgrade reaches the same one', async () => {
    const roomId = 'sticky-room';
    const pollers = [
      await open('p-local', roomId, POLLING),
      await open('p-2', roomId, pollingFrom('127.0.0.2')),
      await open('p-3', roomId, pollingFrom('127.0.0.3')),
      await open('p-4', roomId, pollingFrom('127.0.0.4')),
    ];
    const sessions = pollers.map((c) => c.session);
    // one address: their sessions are on one process, while least_conn alone would spread
    // their websockets over both
    const upgraders = [
      await open('u-1', roomId, upgrading('127.0.0.5')),
      await open('u-2', roomId, upgrading('127.0.0.5')),
      await open('u-3', roomId, upgrading('127.0.0.5')),
      await open('u-4', roomId, upgrading('127.0.0.5')),
    ];
    const upgradedSessions = upgraders.map((c) => c.session);

    // 4 clients x 15 requests over ~3 s, each long-poll cycle (1 s ping) on top
    for (let round = 0; round < ROUNDS; round++) {
      const lists = await Promise.all(pollers.map((c) => c.listed()));
      expect(lists.map((list) => list.length)).toEqual(pollers.map(() => 8));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(pollers.map((c) => c.session)).toEqual(sessions);
    expect(pollers.map((c) => c.outages)).toEqual(pollers.map(() => 0));
    expect(pollers.map((c) => c.transport)).toEqual(pollers.map(() => 'polling'));

    // socket.io-client's default: polling first, then the upgrade (it carries ?sid=), which
    // a process without the session would refuse (the client would stay on polling)
    expect(upgraders.map((c) => c.transport)).toEqual(upgraders.map(() => 'websocket'));
    expect(upgraders.map((c) => c.session)).toEqual(upgradedSessions);
    expect(upgraders.map((c) => c.outages)).toEqual(upgraders.map(() => 0));

    // every polling request of these sessions went through nginx and was answered 200: none
    // 400 "Session ID unknown" from a process without the session (a websocket is logged
    // when it closes: the upgrade's own line is not there yet)
    const log = nginx.accessLog().split('\n');
    for (const sid of [...sessions, ...upgradedSessions]) {
      const requests = log.filter((line) => line.includes(`sid=${sid}`));
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.filter((line) => !line.includes('" 200 '))).toEqual([]);
    }
    for (const sid of sessions) {
      expect(log.filter((line) => line.includes(`sid=${sid}`)).length).toBeGreaterThan(ROUNDS);
    }
  });

  it('counts handshakes per client address from X-Forwarded-For, not per nginx', async () => {
    const from = (localAddress: string, headers?: Record<string, string>) => ({
      localAddress,
      headers,
    });
    const good = await tokenFor('xff-user');
    const failed = [];
    for (let n = 0; n < FAILED_HANDSHAKES; n++) {
      failed.push(await handshake(nginx.url, 'not-a-token', from('127.0.0.7')));
    }
    expect(failed).toEqual(failed.map(() => 'UNAUTHENTICATED'));
    // 127.0.0.7 spent its budget: even a valid token is refused, and so is a forged header
    expect(await handshake(nginx.url, good, from('127.0.0.7'))).toBe('RATE_LIMITED');
    const forged = from('127.0.0.7', { 'X-Forwarded-For': '198.51.100.7' });
    expect(await handshake(nginx.url, good, forged)).toBe('RATE_LIMITED');
    // every handshake reached the servers from nginx's 127.0.0.1, yet other clients pass
    expect(await handshake(nginx.url, good, from('127.0.0.8'))).toBe('connected');
    sockets.push(await connect(nginx.url, 'xff-local'));
  });

  it('rolls both processes behind nginx: every client resumes its connId, nobody sees a leave', async () => {
    // players of the SDK alone: each resumes its room after every reconnect by itself
    const roomId = 'rolling-room';
    const roster = [
      await open('r-ws-1', roomId, WS),
      await open('r-ws-2', roomId, WS),
      await open('r-ws-3', roomId, WS),
      await open('r-ws-4', roomId, WS),
      await open('r-poll-1', roomId, POLLING),
      await open('r-poll-2', roomId, pollingFrom('127.0.0.2')),
      await open('r-poll-3', roomId, pollingFrom('127.0.0.3')),
      await open('r-up', roomId, upgrading('127.0.0.4')),
    ];

    for (const index of [0, 1]) {
      const stopping = apps[index];
      const exited = stopping.kill('SIGTERM');
      // draining (503) or gone, the stopping process is passed over: nginx stays ready
      expect((await fetch(`${nginx.url}/health/ready`)).status).toBe(200);
      expect(await exited).toBe(0);
      // every client the stopped process told to go is back (nginx sent it to the other),
      // its room resumed. Up to nginx's fail_timeout (5 s) may pass before it tries a
      // failed process again.
      await Promise.all(roster.map((c) => c.back(c.notices.length, 25_000)));
      apps[index] = await startApp(stopping.port);
      if (index === 0) {
        await untilNginxSendsTo(apps[index]);
      }
    }

    for (const client of roster) {
      expect(client.notices.length).toBeGreaterThan(0);
      expect(client.joins.map((j) => [j.connId, j.resumed])).toEqual(
        client.joins.map((_, n) => [client.connId, n > 0]),
      );
      expect(client.refusals.filter((code) => code !== 'SHUTTING_DOWN')).toEqual([]);
      expect(client.leaves).toEqual([]);
    }
    await Promise.all(roster.map((c) => c.back()));
    expect(await roster[0].listed()).toEqual(roster.map((c) => [c.connId, 'online']).sort());
  }, 90_000);

  /**
   * The operator's step between two restarts: a process that came back gets new clients
   * once nginx's fail_timeout for it has passed. nginx keeps that state per upstream group,
   * so both must take it back: the websocket group (least_conn picks the empty process, so
   * a handshake from anywhere lands there) and the sticky group that serves polling and
   * /health/ready (hashed by address: handshakes from several addresses, one of which
   * hashes to it). Rolling the next process earlier, nginx may find no live upstream.
   */
  async function untilNginxSendsTo(app: AppProcess, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const transports of [['websocket'], ['polling']] as Transport[][]) {
      const sources = transports[0] === 'polling' ? [2, 3, 4, 5, 6, 7, 8, 9] : [1];
      for (;;) {
        const before = await connectionsOn(app);
        const probes = await Promise.all(
          sources.map((n) => probe(transports, `127.0.0.${n}`).catch(() => undefined)),
        );
        const landed = (await connectionsOn(app)) > before;
        probes.forEach((socket) => socket?.close());
        if (landed) {
          break;
        }
        if (Date.now() > deadline) {
          throw new Error(`nginx sent no ${transports[0]} to port ${app.port} in ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  async function probe(transports: Transport[], localAddress: string): Promise<TestSocket> {
    // websocket: `ws` takes localAddress; polling: the XHR takes an http.Agent
    const settings: Record<string, unknown> = {
      auth: { token: await tokenFor('probe') },
      transports,
      reconnection: false,
      forceNew: true,
      localAddress,
      agent: new Agent({ localAddress }),
    };
    const socket = io(nginx.url, settings) as TestSocket;
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });
  }
});
