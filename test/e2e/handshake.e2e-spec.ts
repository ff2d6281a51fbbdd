import { SignJWT, decodeJwt } from 'jose';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';
import type { JoinResult, PresenceEvent } from '@avalon-realtime/client/protocol';
import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import {
  closeAll,
  connect,
  record,
  refusal,
  requestOk,
  untilRecorded,
  type TestSocket,
} from '../support/client.js';
import {
  TEST_JWT_SECRET,
  foreignToken,
  nowS,
  tokenFor,
  tokenWithClaims,
} from '../support/tokens.js';

const ROOM = 'lobby';
const TOKEN_CLI = fileURLToPath(new URL('../../dist/auth/token.cli.js', import.meta.url));
const key = new TextEncoder().encode(TEST_JWT_SECRET);
const inAnHour = () => nowS() + 3600;
/** About 60 KB: under the 64 KiB frame limit, far over the token cap. */
const HUGE_PADDING = 'x'.repeat(44_000);

/** An unsigned token (`alg: none`), which jose will not produce itself. */
function unsignedToken(sub: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub, exp: inAnHour() })}.`;
}

describe('handshake (memory engine)', () => {
  let app: AppProcess;
  let observer: TestSocket;
  let seen: PresenceEvent[];

  beforeAll(async () => {
    app = await AppProcess.start({ env: NO_RATE_LIMITS });
    observer = await connect(app.url, 'observer');
    await requestOk<JoinResult>(observer, 'presence:join', { roomId: ROOM });
    seen = record<PresenceEvent>(observer, 'presence:event');
  });

  afterAll(async () => {
    closeAll(observer);
    await app.kill();
  });

  const refusedTokens: [
    string,
    () => Record<string, unknown> | Promise<Record<string, unknown>>,
  ][] = [
    ['no auth at all', () => ({})],
    ['an empty token', () => ({ token: '' })],
    ['a token that is not a string', () => ({ token: 42 })],
    ['a garbage token', () => ({ token: 'not.a.jwt' })],
    ['a token signed with another secret', async () => ({ token: await foreignToken('mallory') })],
    ['an expired token', async () => ({ token: await tokenFor('mallory', { expSec: -10 }) })],
    ['an unsigned token (alg none)', () => ({ token: unsignedToken('mallory') })],
    [
      'a token signed HS512 with the right secret',
      async () => ({ token: await tokenWithClaims({ sub: 'mallory', exp: inAnHour() }, 'HS512') }),
    ],
    [
      'a token signed HS384 with the right secret',
      async () => ({ token: await tokenWithClaims({ sub: 'mallory', exp: inAnHour() }, 'HS384') }),
    ],
    ['a token without sub', async () => ({ token: await tokenWithClaims({ exp: inAnHour() }) })],
    [
      'a token whose sub has a space',
      async () => ({ token: await tokenWithClaims({ sub: 'bad user', exp: inAnHour() }) }),
    ],
    [
      'a token whose sub is 65 characters',
      async () => ({ token: await tokenWithClaims({ sub: 'u'.repeat(65), exp: inAnHour() }) }),
    ],
    [
      'a token whose sub is a number',
      async () => ({ token: await tokenWithClaims({ sub: 12345, exp: inAnHour() }) }),
    ],
    [
      'a token with a tampered payload',
      async () => {
        const [header, , signature] = (await tokenFor('mallory')).split('.');
        const payload = Buffer.from(JSON.stringify({ sub: 'admin', exp: inAnHour() })).toString(
          'base64url',
        );
        return { token: `${header}.${payload}.${signature}` };
      },
    ],
    ['a token without exp', async () => ({ token: await tokenWithClaims({ sub: 'mallory' }) })],
    [
      'a token whose exp is a string',
      async () => ({ token: await tokenWithClaims({ sub: 'mallory', exp: String(inAnHour()) }) }),
    ],
    [
      'a token whose nbf is beyond the clock tolerance',
      async () => ({
        token: await tokenWithClaims({ sub: 'mallory', exp: inAnHour(), nbf: nowS() + 60 }),
      }),
    ],
    [
      'a token whose iat is beyond the clock tolerance',
      async () => ({
        token: await tokenWithClaims({ sub: 'mallory', exp: inAnHour(), iat: nowS() + 60 }),
      }),
    ],
    [
      'a well-signed token of about 60 KB',
      async () => ({
        token: await tokenWithClaims({ sub: 'mallory', exp: inAnHour(), pad: HUGE_PADDING }),
      }),
    ],
  ];

  it.each(refusedTokens)('refuses %s with UNAUTHENTICATED', async (_name, makeAuth) => {
    const auth = await makeAuth();
    const err = await refusal(app.url, auth);
    expect(err.message).toBe('UNAUTHENTICATED');
    expect(err.data).toEqual({ code: 'UNAUTHENTICATED', message: expect.any(String) });
    expect(err.data?.message.length).toBeGreaterThan(0);
    if (typeof auth.token === 'string' && auth.token.length > 0) {
      expect(err.data?.message).not.toContain(auth.token);
    }
  });

  it.each([
    ['a token without exp', { sub: 'mallory' }, /no exp/],
    ['an exp that is a string', { sub: 'mallory', exp: '9999999999' }, /exp.*number/],
    ['a future nbf', { sub: 'mallory', exp: 9_999_999_999, nbf: 9_999_999_000 }, /not valid yet/],
    ['a 60 KB token', { sub: 'mallory', exp: 9_999_999_999, pad: HUGE_PADDING }, /too large/],
  ])('says why it refuses %s', async (_name, claims, why) => {
    const err = await refusal(app.url, { token: await tokenWithClaims(claims) });
    expect(err.data?.message).toMatch(why);
  });

  it('refuses a token passed only in the query string', async () => {
    const token = await tokenFor('mallory');
    const socket = io(app.url, {
      query: { token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const err = await new Promise<Error & { data?: { code: string; message: string } }>(
      (resolve, reject) => {
        socket.once('connect', () => reject(new Error('handshake was accepted')));
        socket.once('connect_error', resolve);
      },
    ).finally(() => socket.close());
    expect(err.data).toEqual({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/auth/) });
    expect(err.data?.message).not.toContain(token);
  });

  it('accepts exp, nbf and iat within the clock tolerance (5 s by default)', async () => {
    const lapsedJustNow = await tokenWithClaims({ sub: 'carol', exp: nowS() - 2 });
    const startingSoon = await tokenWithClaims({
      sub: 'dave',
      exp: inAnHour(),
      nbf: nowS() + 3,
      iat: nowS() + 3,
    });
    const carol = await connect(app.url, 'carol', { token: lapsedJustNow });
    const dave = await connect(app.url, 'dave', { token: startingSoon });
    expect(carol.connected && dave.connected).toBe(true);
    closeAll(carol, dave);
  });

  it('ignores iss and aud while AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE are unset', async () => {
    const token = await tokenWithClaims({
      sub: 'erin',
      exp: inAnHour(),
      iss: 'anyone',
      aud: 'anything',
    });
    const erin = await connect(app.url, 'erin', { token });
    expect(erin.connected).toBe(true);
    closeAll(erin);
  });

  it('says why a token is refused without echoing it', async () => {
    const expired = await tokenFor('mallory', { expSec: -10 });
    const err = await refusal(app.url, { token: expired });
    expect(err.data?.message).toMatch(/expired/i);
    expect(err.data?.message).not.toContain(expired);
  });

  it('accepts a valid HS256 token, also one that carries only sub and exp', async () => {
    const plain = await connect(app.url, 'alice');
    const minimal = await connect(app.url, 'bob', {
      token: await new SignJWT({ sub: 'bob', exp: inAnHour() })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(key),
    });
    expect(plain.connected && minimal.connected).toBe(true);
    closeAll(plain, minimal);
  });

  it('never ran a presence handler for a refused handshake', async () => {
    // Every refusal above happened before this; the first event the observer sees is this join.
    const alice = await connect(app.url, 'alice');
    await requestOk<JoinResult>(alice, 'presence:join', { roomId: ROOM });
    await untilRecorded(observer, 'presence:event', seen, (events) => events.length >= 1);
    expect(seen).toEqual([expect.objectContaining({ type: 'join', userId: 'alice' })]);
    const { members } = await requestOk<{ members: { userId: string }[] }>(
      observer,
      'presence:list',
      {
        roomId: ROOM,
      },
    );
    expect(members.map((m) => m.userId).sort()).toEqual(['alice', 'observer']);
    closeAll(alice);
  });
});

describe('handshake with AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE set', () => {
  const ISSUER = 'https://id.example.test';
  const AUDIENCE = 'avalon-realtime';
  let app: AppProcess;

  beforeAll(async () => {
    app = await AppProcess.start({
      env: { ...NO_RATE_LIMITS, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE },
    });
  });

  afterAll(async () => {
    await app.kill();
  });

  const claims = (extra: Record<string, unknown>) => ({
    sub: 'frank',
    exp: nowS() + 3600,
    ...extra,
  });

  it.each([
    ['neither iss nor aud', {}, /no (iss|aud)/],
    ['another iss', { iss: 'https://evil.test', aud: AUDIENCE }, /iss not accepted/],
    ['no aud', { iss: ISSUER }, /no aud/],
    ['an aud without ours', { iss: ISSUER, aud: ['other-service'] }, /aud not accepted/],
  ])('refuses a token with %s', async (_name, extra, why) => {
    const err = await refusal(app.url, { token: await tokenWithClaims(claims(extra)) });
    expect(err.data).toEqual({ code: 'UNAUTHENTICATED', message: expect.stringMatching(why) });
  });

  it.each([
    ['our iss and aud', { iss: ISSUER, aud: AUDIENCE }],
    ['our iss and an aud list that holds ours', { iss: ISSUER, aud: ['other', AUDIENCE] }],
  ])('accepts a token with %s', async (_name, extra) => {
    const frank = await connect(app.url, 'frank', { token: await tokenWithClaims(claims(extra)) });
    expect(frank.connected).toBe(true);
    closeAll(frank);
  });

  /** `npm run token -- <args>` as built, with this suite's settings and no .env. */
  async function printedToken(...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [TOKEN_CLI, ...args], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      env: {
        PATH: process.env.PATH ?? '',
        AUTH_JWT_SECRET: TEST_JWT_SECRET,
        AUTH_JWT_ISSUER: ISSUER,
        AUTH_JWT_AUDIENCE: AUDIENCE,
      },
    });
    return stdout.trim();
  }

  it('accepts what `npm run token` prints: exp 24 h ahead by default, --expires-in to choose', async () => {
    const daily = await printedToken('grace');
    const brief = await printedToken('grace', '--expires-in', '120');
    expect(decodeJwt(daily)).toMatchObject({ sub: 'grace', iss: ISSUER, aud: AUDIENCE });
    expect(decodeJwt(daily).exp).toBeGreaterThanOrEqual(nowS() + 86_400 - 60);
    expect(decodeJwt(brief).exp).toBeLessThanOrEqual(nowS() + 120);
    const sockets = await Promise.all(
      [daily, brief].map((token) => connect(app.url, 'grace', { token })),
    );
    expect(sockets.every((socket) => socket.connected)).toBe(true);
    closeAll(...sockets);
  });
});
