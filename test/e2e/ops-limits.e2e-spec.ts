import type { ListResult } from '@avalon-realtime/client/protocol';
import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import {
  closeAndWait,
  request,
  requestOk,
  type TestSocket,
  connect,
  refusedWith,
  refusal,
  type RefusalError,
} from '../support/client.js';
import { connectEventually, disconnection, getJson } from '../support/ops.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { foreignToken } from '../support/tokens.js';
import { join } from './presence-helpers.js';

const start = (env: Record<string, string>, redis?: { url: string; prefix: string }) =>
  AppProcess.start({
    env: { ...NO_RATE_LIMITS, ...env },
    ...(redis ? { redisUrl: redis.url, prefix: redis.prefix } : {}),
  });

/** Polls /stats (no event tells a client that the server processed another client's close). */
async function untilConnections(app: AppProcess, count: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await getJson<{ connections: number }>(app.url, '/stats');
    if (body.connections === count) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`/stats connections stayed ${body.connections}, expected ${count}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('rate limits and load control', () => {
  const sockets: TestSocket[] = [];
  const apps: Record<string, AppProcess> = {};

  const openOn = async (app: AppProcess, userId: string, options = {}) => {
    const socket = await connect(app.url, userId, options);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    const settings: Record<string, Record<string, string>> = {
      perIp: { RATE_CONN_PER_MINUTE_PER_IP: '3', RATE_CONN_VALID_PER_MINUTE_PER_IP: '40' },
      perIpProxy: {
        RATE_CONN_PER_MINUTE_PER_IP: '3',
        RATE_CONN_VALID_PER_MINUTE_PER_IP: '40',
        TRUST_PROXY: '2',
      },
      instance: { MAX_CONN_PER_INSTANCE: '5' },
      perUser: { MAX_CONN_PER_USER: '2' },
      events: { RATE_EVENTS_PER_SECOND: '5' },
      rooms: { MAX_ROOMS_PER_SOCKET: '2' },
      cors: { CORS_ORIGIN: 'http://allowed.example,weapp://wechat-game-runtime' },
    };
    const started = await Promise.all(Object.values(settings).map((env) => start(env)));
    Object.keys(settings).forEach((name, i) => (apps[name] = started[i]));
  });

  afterEach(async () => {
    await closeAndWait(...sockets.splice(0));
  });

  afterAll(async () => {
    await Promise.all(Object.values(apps).map((app) => app.kill()));
  });

  describe('RATE_CONN_PER_MINUTE_PER_IP=3 (failed), RATE_CONN_VALID_PER_MINUTE_PER_IP=40', () => {
    const bad = async (app: AppProcess, options = {}) =>
      (await refusedWith(app.url, 'ip-user', { token: await foreignToken('ip-user'), ...options }))
        .message;

    it('counts failed handshakes strictly: the 4th failed one and everything after it is refused, valid ones mixed in pass', async () => {
      const app = apps.perIp;
      // valid handshakes beyond the strict budget, failed ones mixed in
      await openOn(app, 'ip-user-1');
      expect(await bad(app)).toBe('UNAUTHENTICATED');
      await openOn(app, 'ip-user-2');
      expect((await refusal(app.url, {})).message).toBe('UNAUTHENTICATED'); // no token at all
      await openOn(app, 'ip-user-3');
      await openOn(app, 'ip-user-4');
      expect(await bad(app)).toBe('UNAUTHENTICATED');
      const fourth = await refusedWith(app.url, 'ip-user', { token: 'not-a-jwt' });
      expect(fourth.message).toBe('RATE_LIMITED');
      expect(fourth.data).toEqual({ code: 'RATE_LIMITED', message: expect.any(String) });
      // the budget is spent: refused before any token is read, a valid one too
      expect((await refusedWith(app.url, 'ip-user-5')).message).toBe('RATE_LIMITED');
      // X-Forwarded-For is not trusted without TRUST_PROXY
      const spoofed = await refusedWith(app.url, 'ip-user-6', {
        extraHeaders: { 'X-Forwarded-For': '10.9.9.9' },
      });
      expect(spoofed.message).toBe('RATE_LIMITED');
      expect(app.logs).toMatch(/handshake refused/);
    });

    it('counts per forwarded client IP behind two trusted proxies (TRUST_PROXY=2)', async () => {
      const app = apps.perIpProxy;
      // what the client wrote (left of the two trusted entries) changes nothing
      const from = (ip: string, forged = '') => ({
        extraHeaders: { 'X-Forwarded-For': `${forged}${ip}, 10.0.0.254` },
      });
      for (const n of [1, 2, 3]) {
        expect(await bad(app, from('10.0.0.1', `6.6.6.${n}, `))).toBe('UNAUTHENTICATED');
      }
      expect((await refusedWith(app.url, 'proxied-4', from('10.0.0.1', '6.6.6.4, '))).message).toBe(
        'RATE_LIMITED',
      );
      await openOn(app, 'proxied-5', from('10.0.0.2'));
      await openOn(app, 'proxied-6');
    });

    it('lets a wave of 40 valid handshakes from one IP through at once; past the ceiling only a present user', async () => {
      const app = apps.perIpProxy;
      const from = { extraHeaders: { 'X-Forwarded-For': '10.0.1.1, 10.0.0.254' } };
      const player = await openOn(app, 'returning', {
        extraHeaders: { 'X-Forwarded-For': '10.0.1.2, 10.0.0.254' },
      });
      await join(player, { roomId: 'wave-room', connId: 'returning-1' });
      const wave = await Promise.allSettled(
        Array.from({ length: 40 }, (_, n) => connect(app.url, `wave-${n}`, from)),
      );
      sockets.push(...wave.flatMap((w) => (w.status === 'fulfilled' ? [w.value] : [])));
      expect(wave.map((w) => w.status)).toEqual(Array.from({ length: 40 }, () => 'fulfilled'));
      expect((await refusedWith(app.url, 'wave-41', from)).message).toBe('RATE_LIMITED');
      await openOn(app, 'returning', from);
    });
  });

  describe('MAX_CONN_PER_INSTANCE=5', () => {
    it('answers the 6th handshake OVERLOADED', async () => {
      const app = apps.instance;
      for (const n of [1, 2, 3, 4, 5]) {
        await openOn(app, `inst-${n}`);
      }
      const sixth = await refusedWith(app.url, 'inst-6');
      expect(sixth.message).toBe('OVERLOADED');
      expect(sixth.data).toEqual({ code: 'OVERLOADED', message: expect.any(String) });
      await closeAndWait(...sockets.splice(0));
      await untilConnections(app, 0);
    });

    it('never holds more than 5 sockets when 20 handshakes race', async () => {
      const app = apps.instance;
      await untilConnections(app, 0);
      const attempts = await Promise.allSettled(
        Array.from({ length: 20 }, (_, n) => connect(app.url, `race-${n}`)),
      );
      const connected = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
      sockets.push(...connected);
      const refused = attempts.flatMap((a) =>
        a.status === 'rejected' ? [(a.reason as RefusalError).message] : [],
      );
      expect(connected.length).toBe(5);
      expect(refused).toEqual(Array.from({ length: 15 }, () => 'OVERLOADED'));
      const { body } = await getJson<{ connections: number }>(app.url, '/stats');
      expect(body.connections).toBe(5);
      // a freed slot is taken again
      await closeAndWait(connected[0]);
      await connectEventually(app.url, 'race-again').then((s) => sockets.push(s));
      expect((await refusedWith(app.url, 'race-more')).message).toBe('OVERLOADED');
    });
  });

  describe('MAX_CONN_PER_USER=2', () => {
    it('refuses a third socket of one user RATE_LIMITED, admits others, and admits again after a close', async () => {
      const app = apps.perUser;
      const first = await openOn(app, 'greedy');
      await openOn(app, 'greedy');
      const third = await refusedWith(app.url, 'greedy');
      expect(third.message).toBe('RATE_LIMITED');
      expect(third.data?.code).toBe('RATE_LIMITED');
      await openOn(app, 'modest');
      await closeAndWait(first);
      sockets.push(await connectEventually(app.url, 'greedy'));
      expect((await refusedWith(app.url, 'greedy')).message).toBe('RATE_LIMITED');
    });
  });

  describe('RATE_EVENTS_PER_SECOND=5', () => {
    it('answers a burst of 30 requests: about 10 ok (bursts up to twice the rate), the rest RATE_LIMITED', async () => {
      const app = apps.events;
      const socket = await openOn(app, 'burster');
      const acks = await Promise.all(
        Array.from({ length: 30 }, () =>
          request<ListResult>(socket, 'presence:list', { roomId: 'burst-room' }).catch(
            (err: Error) => ({ lost: err.message }),
          ),
        ),
      );
      const outcome = acks.map((a) => ('lost' in a ? 'LOST' : a.ok ? 'ok' : a.error.code));
      const oks = outcome.filter((o) => o === 'ok').length;
      const limited = outcome.filter((o) => o === 'RATE_LIMITED').length;
      expect(oks).toBeGreaterThanOrEqual(10);
      expect(oks).toBeLessThanOrEqual(11);
      // The ok answers come first, then RATE_LIMITED. 20 refusals exceed the flood threshold
      // (3 × rate refusals in 10 s), so the server may cut the socket: only then may the very
      // last requests go unanswered.
      const lost = 30 - oks - limited;
      expect(outcome).toEqual([
        ...Array.from({ length: oks }, () => 'ok'),
        ...Array.from({ length: limited }, () => 'RATE_LIMITED'),
        ...Array.from({ length: lost }, () => 'LOST'),
      ]);
      expect(lost === 0 || limited >= 15).toBe(true);
    });

    it('disconnects a socket that keeps flooding, and nobody else', async () => {
      const app = apps.events;
      const calm = await openOn(app, 'calm');
      const flooder = await openOn(app, 'flooder');
      const gone = disconnection(flooder, 10_000);
      for (let i = 0; i < 400 && flooder.connected; i++) {
        flooder.emit('presence:list', { roomId: 'flood-room' }, () => {});
      }
      expect(await gone).toBe('io server disconnect');
      expect(calm.connected).toBe(true);
      await requestOk(calm, 'presence:list', { roomId: 'flood-room' });
      expect(app.logs).toMatch(/flooding/);
    });
  });

  describe('MAX_ROOMS_PER_SOCKET=2', () => {
    it('refuses a 3rd room RATE_LIMITED, allows a second connId in a joined room', async () => {
      const app = apps.rooms;
      const socket = await openOn(app, 'roamer');
      await join(socket, { roomId: 'rooms-1', connId: 'r1-a' });
      await join(socket, { roomId: 'rooms-2', connId: 'r2-a' });
      expect(await request(socket, 'presence:join', { roomId: 'rooms-3', connId: 'r3-a' })).toEqual(
        {
          ok: false,
          error: expect.objectContaining({ code: 'RATE_LIMITED' }),
        },
      );
      expect(
        (await requestOk<ListResult>(socket, 'presence:list', { roomId: 'rooms-3' })).members,
      ).toEqual([]);
      await join(socket, { roomId: 'rooms-1', connId: 'r1-b' });
      // leaving a room frees its place
      await requestOk(socket, 'presence:leave', { roomId: 'rooms-2', connId: 'r2-a' });
      await join(socket, { roomId: 'rooms-3', connId: 'r3-a' });
      // another socket has its own budget
      const other = await openOn(app, 'roamer');
      await join(other, { roomId: 'rooms-4' });
      await join(other, { roomId: 'rooms-5' });
    });
  });

  describe('CORS_ORIGIN=http://allowed.example,weapp://wechat-game-runtime', () => {
    it('refuses a handshake from another Origin', async () => {
      const err = await refusedWith(apps.cors.url, 'browser', {
        extraHeaders: { Origin: 'http://evil.example' },
      });
      expect(err).toBeInstanceOf(Error);
      expect(err.message).not.toBe('UNAUTHENTICATED');
    });

    it('accepts the allowed Origin, and a client that sends none', async () => {
      const allowed = await openOn(apps.cors, 'browser', {
        extraHeaders: { Origin: 'http://allowed.example' },
      });
      const native = await openOn(apps.cors, 'native');
      expect(allowed.connected && native.connected).toBe(true);
    });

    it('accepts a listed non-http Origin: WeChat mini-games on iOS send weapp://wechat-game-runtime', async () => {
      const ios = await openOn(apps.cors, 'wechat-ios', {
        extraHeaders: { Origin: 'weapp://wechat-game-runtime' },
      });
      expect(ios.connected).toBe(true);
    });
  });

  describe('Redis engine', () => {
    let redis: RedisServer;
    let a: AppProcess;
    let b: AppProcess;

    beforeAll(async () => {
      redis = await RedisServer.start();
      const shared = { url: redis.url, prefix: uniquePrefix() };
      const env = { RATE_CONN_PER_MINUTE_PER_IP: '3', RATE_CONN_VALID_PER_MINUTE_PER_IP: '5' };
      [a, b] = await Promise.all([start(env, shared), start(env, shared)]);
    });

    afterAll(async () => {
      await Promise.all([a?.kill(), b?.kill()]);
      await redis?.stop();
    });

    it('shares both per-IP budgets across processes: 5 valid on A and B, the 6th refused; 3 failed, the 4th refused', async () => {
      for (const [n, app] of [a, a, b, a, b].entries()) {
        await openOn(app, `cluster-ip-${n}`);
      }
      expect((await refusedWith(b.url, 'cluster-ip-6')).message).toBe('RATE_LIMITED');
      const failed = async (app: AppProcess) =>
        (await refusedWith(app.url, 'x', { token: await foreignToken('x') })).message;
      expect([await failed(a), await failed(b), await failed(a)]).toEqual(
        Array.from({ length: 3 }, () => 'UNAUTHENTICATED'),
      );
      expect(await failed(b)).toBe('RATE_LIMITED');
    });
  });
});
