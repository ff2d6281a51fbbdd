import { randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import type { ServerShutdownNotice } from '@avalon-realtime/client/protocol';
import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import {
  closeAndWait,
  dropTransport,
  nextEvent,
  record,
  request,
  requestOk,
  untilRecorded,
  type TestSocket,
  connect,
  refusedWith,
  type ConnectOptions,
} from '../support/client.js';
import { disconnection, rawFrame } from '../support/ops.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { foreignToken } from '../support/tokens.js';
import { join, list } from './presence-helpers.js';

const CONNECT_TIMEOUT_MS = 500;
const FAULT_PRELOAD = pathToFileURL(
  fileURLToPath(new URL('../support/fault-on-sigusr2.mjs', import.meta.url)),
).href;

/** Handshake headers as the outermost of TRUST_PROXY=1 proxies would send them. */
const via = (forwarded: string): ConnectOptions => ({
  extraHeaders: { 'X-Forwarded-For': forwarded },
});

describe('network edges', () => {
  const sockets: TestSocket[] = [];
  const apps: Record<string, AppProcess> = {};
  let redis: RedisServer;

  const openOn = async (app: AppProcess, userId: string, options: ConnectOptions = {}) => {
    const socket = await connect(app.url, userId, options);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    const onRedis = { redisUrl: redis.url, prefix: uniquePrefix() };
    // valid handshakes meet the ceiling (3 here), failed ones the strict budget (3)
    const limited = {
      RATE_CONN_PER_MINUTE_PER_IP: '3',
      RATE_CONN_VALID_PER_MINUTE_PER_IP: '3',
      TRUST_PROXY: '1',
    };
    const settings: Record<string, Parameters<typeof AppProcess.start>[0]> = {
      proxied: { env: { ...NO_RATE_LIMITS, ...limited } },
      proxiedRedis: { ...onRedis, env: { ...NO_RATE_LIMITS, ...limited } },
      open: { env: { ...NO_RATE_LIMITS, SOCKET_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) } },
      allowlist: { env: { ...NO_RATE_LIMITS, CORS_ORIGIN: 'http://allowed.example' } },
      redis: { ...onRedis, env: NO_RATE_LIMITS },
    };
    const started = await Promise.all(Object.values(settings).map((s) => AppProcess.start(s)));
    Object.keys(settings).forEach((name, i) => (apps[name] = started[i]));
  }, 60_000); // five servers start at once: slow on a loaded 2-core machine

  afterEach(async () => {
    await closeAndWait(...sockets.splice(0));
  });

  afterAll(async () => {
    await Promise.all(Object.values(apps).map((app) => app.kill()));
    await redis?.stop();
  });

  describe('TRUST_PROXY=1, RATE_CONN_PER_MINUTE_PER_IP=3', () => {
    it('counts the address the proxy saw, whatever the client forged to its left', async () => {
      const app = apps.proxied;
      const client = '198.51.100.7';
      const forged = [
        `${randomBytes(12).toString('hex')}, ${client}`,
        `${Array.from({ length: 1100 }, (_, i) => `10.${i % 250}.0.1`).join(', ')}, ${client}`,
        `::ffff:${client}`,
      ];
      expect(forged[1].length).toBeGreaterThan(12_000);
      for (const [n, header] of forged.entries()) {
        await openOn(app, `forger-${n}`, via(header));
      }
      for (const header of [
        `1.2.3.4, ::FFFF:${client}`,
        `${randomBytes(8).toString('hex')}, ${client}`,
      ]) {
        expect((await refusedWith(app.url, 'forger-more', via(header))).message).toBe(
          'RATE_LIMITED',
        );
      }
      // another client behind the same proxy has its own budget
      await openOn(app, 'neighbour', via(`${client}, 198.51.100.8`));
    });

    it.each(['proxied', 'proxiedRedis'])(
      'lets a present user reconnect 10 times from one IP, but no one else past 3 (%s)',
      async (name) => {
        const app = apps[name];
        const roomId = `wave-${name}`;
        const player = await openOn(app, `player-${name}`, via('203.0.113.1'));
        await join(player, { roomId, connId: `player-${name}-1` });
        for (let n = 0; n < 10; n++) {
          await closeAndWait(await connect(app.url, `player-${name}`, via('203.0.113.1')));
        }

        // away counts as present: the lost transport's owner comes back through the wave
        const away = await openOn(app, `away-${name}`, via('203.0.113.2'));
        await join(away, { roomId, connId: `away-${name}-1` });
        await dropTransport(away);
        for (let n = 0; n < 9; n++) {
          await closeAndWait(await connect(app.url, `away-${name}`, via('203.0.113.2')));
        }
        const back = await openOn(app, `away-${name}`, via('203.0.113.2'));
        expect((await join(back, { roomId, connId: `away-${name}-1` })).resumed).toBe(true);

        const strangers: string[] = [];
        for (let n = 0; n < 10; n++) {
          strangers.push(await outcome(app, `stranger-${name}-${n}`, via('203.0.113.3')));
        }
        expect(strangers).toEqual([...Array(3).fill('ok'), ...Array(7).fill('RATE_LIMITED')]);

        const forgers: string[] = [];
        for (let n = 0; n < 10; n++) {
          const token = n % 2 ? await foreignToken(`player-${name}`) : 'not-a-token';
          forgers.push(await outcome(app, `player-${name}`, { ...via('203.0.113.4'), token }));
        }
        expect(forgers).toEqual([
          ...Array(3).fill('UNAUTHENTICATED'),
          ...Array(7).fill('RATE_LIMITED'),
        ]);
      },
    );
  });

  /** 'ok' for an accepted handshake (closed again at once), else the refusal's code. */
  async function outcome(
    app: AppProcess,
    userId: string,
    options: ConnectOptions,
  ): Promise<string> {
    try {
      await closeAndWait(await connect(app.url, userId, options));
      return 'ok';
    } catch (err) {
      return (err as Error).message;
    }
  }

  describe('CORS', () => {
    const poll = (app: AppProcess, origin: string) =>
      fetch(`${app.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: origin } });

    it('sends CORS headers on polling to any Origin when CORS_ORIGIN is unset', async () => {
      const res = await poll(apps.open, 'http://any-game.example');
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('http://any-game.example');
      expect(await res.text()).toMatch(/^0\{"sid"/);
      const preflight = await fetch(`${apps.open.url}/socket.io/?EIO=4&transport=polling`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://any-game.example', 'Access-Control-Request-Method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://any-game.example');
    });

    it('with CORS_ORIGIN, answers the listed Origin and refuses others on polling too', async () => {
      const allowed = await poll(apps.allowlist, 'http://allowed.example');
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://allowed.example');
      await allowed.arrayBuffer();
      const refused = await poll(apps.allowlist, 'http://evil.example');
      expect(refused.status).toBe(403);
      await refused.arrayBuffer();
    });
  });

  describe('SOCKET_CONNECT_TIMEOUT_MS=500', () => {
    it('closes a raw websocket session that never sends the Socket.IO CONNECT', async () => {
      const ws = new WebSocket(
        `${apps.open.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`,
      );
      const opened = await new Promise<number>((resolve, reject) => {
        ws.once('message', (data: Buffer) => {
          expect(data.toString()).toMatch(/^0\{"sid"/);
          resolve(Date.now());
        });
        ws.once('error', reject);
      });
      await new Promise<void>((resolve) => ws.once('close', () => resolve()));
      expect(Date.now() - opened).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 50);
    });

    it('closes a polling session that never sends the CONNECT, and keeps one that does', async () => {
      const base = `${apps.open.url}/socket.io/?EIO=4&transport=polling`;
      const handshake = await (await fetch(base)).text();
      const sid = (JSON.parse(handshake.slice(1)) as { sid: string }).sid;
      // the pending long-poll is answered with the close packet, then the session is gone
      expect(await (await fetch(`${base}&sid=${sid}`)).text()).toBe('1');
      const after = await fetch(`${base}&sid=${sid}`);
      expect(after.status).toBe(400);
      await after.arrayBuffer();

      const client = await openOn(apps.open, 'punctual');
      const gone = disconnection(client, CONNECT_TIMEOUT_MS * 3).catch(() => 'still connected');
      expect(await gone).toBe('still connected');
    });
  });

  describe.each(['open', 'redis'])('JSON data fields (%s engine)', (name) => {
    it('refuses non-finite numbers and Buffers BAD_REQUEST and writes nothing', async () => {
      const app = apps[name];
      const roomId = `json-${name}`;
      const alice = await openOn(app, `alice-${name}`);
      const session = await join(alice, { roomId, connId: 'alice-1', state: { seat: 1 } });
      const watcher = await openOn(app, `watcher-${name}`);
      await join(watcher, { roomId, connId: 'watcher-1' });
      const messages = record(watcher, 'room:message');
      const hb = `"roomId":"${roomId}","connId":"alice-1","epoch":${session.epoch}`;
      const channel = `"channelType":"room","channelName":"${roomId}"`;
      const refusals = [
        await rawFrame(
          alice,
          `["presence:join",{"roomId":"${roomId}","connId":"alice-2","state":{"x":1e400}}]`,
        ),
        await rawFrame(alice, `["presence:heartbeat",{${hb},"statePatch":{"x":[-1e999]}}]`),
        await request(alice, 'presence:heartbeat', {
          roomId,
          connId: 'alice-1',
          epoch: session.epoch,
          state: { blob: Buffer.from([1, 2, 3]) },
        }),
        await rawFrame(alice, `["metadata:set",{${channel},"items":[{"key":"k","value":1e400}]}]`),
        await request(alice, 'metadata:set', {
          channelType: 'room',
          channelName: roomId,
          items: [{ key: 'k', value: { nested: [Buffer.from('x')] } }],
        }),
        await rawFrame(alice, `["room:message",{"roomId":"${roomId}","data":{"score":1e400}}]`),
        await request(alice, 'room:message', { roomId, data: Buffer.from('binary') }),
      ];
      for (const reply of refusals) {
        expect(reply).toEqual({
          ok: false,
          error: expect.objectContaining({
            code: 'BAD_REQUEST',
            message: expect.stringMatching(/JSON/),
          }),
        });
      }
      const members = (await list(alice, roomId)).members;
      expect(members.map((m) => [m.connId, m.state])).toEqual(
        expect.arrayContaining([['alice-1', { seat: 1 }]]),
      );
      expect(members).toHaveLength(2);
      expect(
        await requestOk(alice, 'metadata:get', { channelType: 'room', channelName: roomId }),
      ).toEqual(expect.objectContaining({ majorRevision: 0, items: [] }));
      await requestOk(alice, 'room:message', { roomId, data: { score: 1 } });
      await untilRecorded(watcher, 'room:message', messages, (seen) => seen.length > 0);
      expect(messages).toEqual([expect.objectContaining({ data: { score: 1 } })]);
    });
  });

  describe('uncaught exception', () => {
    const faulty: AppProcess[] = [];

    afterAll(async () => {
      await Promise.all(faulty.map((app) => app.kill('SIGKILL')));
    });

    const startFaulty = async (graceMs: number) => {
      const app = await AppProcess.start({
        env: {
          ...NO_RATE_LIMITS,
          SHUTDOWN_GRACE_MS: String(graceMs),
          NODE_OPTIONS: `--import=${FAULT_PRELOAD}`,
        },
      });
      faulty.push(app);
      return app;
    };

    it('logs it, runs the graceful shutdown (notice, sockets closed) and exits 1', async () => {
      const app = await startFaulty(300);
      const client = await openOn(app, 'bystander');
      const notice = nextEvent<ServerShutdownNotice>(client, 'server:shutdown');
      const gone = disconnection(client);
      const exited = app.kill('SIGUSR2');
      expect(await notice).toEqual({
        message: expect.any(String),
        reconnectAfterMs: expect.any(Number),
      });
      expect(await gone).toBe('io server disconnect');
      expect(await exited).toBe(1);
      expect(app.logs).toMatch(/uncaught exception/);
      expect(app.logs).toMatch(/fault injected by the test/);
      expect(app.logs).toMatch(/shutdown complete/);
    });

    it('exits 1 at once on a second fault during the grace', async () => {
      const app = await startFaulty(10_000);
      const client = await openOn(app, 'waiting');
      const notice = nextEvent(client, 'server:shutdown');
      const exited = app.kill('SIGUSR2');
      await notice;
      const secondAt = Date.now();
      app.child.kill('SIGUSR2');
      expect(await exited).toBe(1);
      expect(Date.now() - secondAt).toBeLessThan(3000);
      expect(app.logs).toMatch(/stopping at once/);
    });
  });
});
