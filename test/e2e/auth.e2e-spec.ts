import type { PresenceEvent, ServerErrorNotice } from '@avalon-realtime/client/protocol';
import { AppProcess } from '../support/app.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import {
  closeAll,
  connect,
  nextEvent,
  record,
  request,
  requestOk,
  type TestSocket,
} from '../support/client.js';
import { expOf, foreignToken, nowS, tokenFor, tokenWithClaims } from '../support/tokens.js';
import { join, joinSeenBy, list } from './presence-helpers.js';

const ROOM = 'expiry-room';
/** Deadlines are exp + AUTH_CLOCK_TOLERANCE_S, honoured within a second: allow for all of it. */
const LAPSE_TIMEOUT_MS = 10_000;
const SHORT_LIFE_S = 2;
const SHORT_TOLERANCE = { AUTH_CLOCK_TOLERANCE_S: '1' };

/** Resolves with what the socket saw, in order, up to and including its disconnect. */
function lapse(socket: TestSocket): Promise<{ seen: string[]; notice: ServerErrorNotice }> {
  const seen: string[] = [];
  let notice: ServerErrorNotice | undefined;
  socket.on('server:error', (payload) => {
    notice = payload;
    seen.push('server:error');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the socket outlived its token')),
      LAPSE_TIMEOUT_MS,
    );
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      seen.push(`disconnect: ${reason}`);
      resolve({ seen, notice: notice as ServerErrorNotice });
    });
  });
}

describe('token expiry on live sockets and auth:refresh (memory engine)', () => {
  let app: AppProcess;
  let observer: TestSocket;
  const sockets: TestSocket[] = [];

  /** Connects `userId` with a token that lapses `lifeS` seconds from now. */
  async function shortLived(userId: string, lifeS = SHORT_LIFE_S) {
    const token = await tokenFor(userId, { expSec: lifeS });
    const socket = await connect(app.url, userId, { token });
    sockets.push(socket);
    return { socket, token };
  }

  beforeAll(async () => {
    app = await AppProcess.start({ env: SHORT_TOLERANCE });
    observer = await connect(app.url, 'observer');
    await join(observer, { roomId: ROOM, connId: 'observer-c' });
  });

  afterEach(() => closeAll(...sockets.splice(0)));

  afterAll(async () => {
    closeAll(observer);
    await app.kill();
  });

  it(
    'tells a socket its token expired, disconnects it, and its member shows away (not leave)',
    async () => {
      const { socket } = await shortLived('shorty');
      await joinSeenBy(observer, socket, { roomId: ROOM, connId: 'shorty-c' });
      const events = record<PresenceEvent>(observer, 'presence:event');
      const away = nextEvent<PresenceEvent>(
        observer,
        'presence:event',
        (e) => e.connId === 'shorty-c' && e.member?.status === 'away',
        LAPSE_TIMEOUT_MS,
      );
      const { seen, notice } = await lapse(socket);
      expect(seen).toEqual(['server:error', 'disconnect: io server disconnect']);
      expect(notice).toEqual({
        event: 'auth',
        code: 'UNAUTHENTICATED',
        message: expect.stringMatching(/expired/),
      });
      expect(await away).toMatchObject({ type: 'update', userId: 'shorty' });
      const { members } = await list(observer, ROOM);
      expect(members).toContainEqual(
        expect.objectContaining({ connId: 'shorty-c', status: 'away' }),
      );
      expect(events.filter((e) => e.connId === 'shorty-c').map((e) => e.type)).toEqual(['update']);
    },
    LAPSE_TIMEOUT_MS + 5000,
  );

  it(
    'auth:refresh with a fresh token of the same user returns its exp and outlives the old one',
    async () => {
      const { socket, token } = await shortLived('renewer');
      // A witness whose token lapses one second after the renewer's old one: once the witness
      // is gone, the old deadline has passed.
      const witness = await connect(app.url, 'witness', {
        token: await tokenWithClaims({ sub: 'witness', exp: expOf(token) + 1 }),
      });
      sockets.push(witness);
      const fresh = await tokenFor('renewer', { expSec: 3600 });
      const ack = await requestOk(socket, 'auth:refresh', { token: fresh });
      expect(ack).toEqual({ exp: expOf(fresh) });
      const renewerNotices = record<ServerErrorNotice>(socket, 'server:error');
      await lapse(witness);
      expect(socket.connected).toBe(true);
      expect(renewerNotices).toEqual([]);
      await requestOk(socket, 'presence:list', { roomId: ROOM });
    },
    LAPSE_TIMEOUT_MS + 5000,
  );

  it(
    "auth:refresh with another user's token answers FORBIDDEN and the old deadline stays",
    async () => {
      const { socket } = await shortLived('keeper');
      const ack = await request(socket, 'auth:refresh', { token: await tokenFor('someone-else') });
      expect(ack).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } });
      const { notice } = await lapse(socket);
      expect(notice).toMatchObject({ event: 'auth', code: 'UNAUTHENTICATED' });
    },
    LAPSE_TIMEOUT_MS + 5000,
  );

  it(
    'auth:refresh with an invalid token answers UNAUTHENTICATED, never echoing it, and the old deadline stays',
    async () => {
      const { socket } = await shortLived('keeper');
      const invalid = [
        'not.a.jwt',
        await tokenWithClaims({ sub: 'keeper' }), // no exp
        await tokenWithClaims({ sub: 'keeper', exp: String(nowS() + 3600) }),
        await tokenFor('keeper', { expSec: -60 }),
        await foreignToken('keeper'),
        await tokenWithClaims({ sub: 'keeper', exp: nowS() + 3600, pad: 'x'.repeat(44_000) }),
      ];
      for (const token of invalid) {
        const ack = await request(socket, 'auth:refresh', { token });
        expect(ack).toEqual({
          ok: false,
          error: { code: 'UNAUTHENTICATED', message: expect.any(String) },
        });
        expect(JSON.stringify(ack)).not.toContain(token);
      }
      const { notice } = await lapse(socket);
      expect(notice).toMatchObject({ event: 'auth', code: 'UNAUTHENTICATED' });
    },
    LAPSE_TIMEOUT_MS + 5000,
  );

  it.each([
    ['no token', {}],
    ['a token that is not a string', { token: 42 }],
    ['an empty token', { token: '' }],
    ['an unknown field', { token: 'a.b.c', extra: true }],
  ])('auth:refresh with %s answers BAD_REQUEST', async (_name, payload) => {
    const ack = await request(observer, 'auth:refresh', payload);
    expect(ack).toEqual({
      ok: false,
      error: { code: 'BAD_REQUEST', message: expect.any(String), details: expect.anything() },
    });
  });
});

describe('token expiry across processes (Redis engine)', () => {
  let redis: RedisServer;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const options = { redisUrl: redis.url, prefix: uniquePrefix(), env: SHORT_TOLERANCE };
    [a, b] = await Promise.all([AppProcess.start(options), AppProcess.start(options)]);
  });

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await redis?.stop();
  });

  it(
    'a member whose token lapsed on one process shows away on the other, not leave',
    async () => {
      const observer = await connect(b.url, 'observer');
      const shorty = await connect(a.url, 'shorty', {
        token: await tokenFor('shorty', { expSec: SHORT_LIFE_S }),
      });
      try {
        await join(observer, { roomId: ROOM, connId: 'observer-c' });
        await joinSeenBy(observer, shorty, { roomId: ROOM, connId: 'shorty-c' });
        const events = record<PresenceEvent>(observer, 'presence:event');
        const away = nextEvent<PresenceEvent>(
          observer,
          'presence:event',
          (e) => e.connId === 'shorty-c' && e.member?.status === 'away',
          LAPSE_TIMEOUT_MS,
        );
        const { notice } = await lapse(shorty);
        expect(notice).toMatchObject({ event: 'auth', code: 'UNAUTHENTICATED' });
        expect(await away).toMatchObject({ type: 'update', userId: 'shorty' });
        expect(events.map((e) => e.type)).toEqual(['update']);
      } finally {
        closeAll(observer, shorty);
      }
    },
    LAPSE_TIMEOUT_MS + 5000,
  );
});
