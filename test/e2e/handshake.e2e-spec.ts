import { SignJWT } from 'jose';
import type { JoinResult, PresenceEvent } from '../../src/common/protocol/index.js';
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
import { TEST_JWT_SECRET, foreignToken, tokenFor, tokenWithClaims } from '../support/tokens.js';

const ROOM = 'lobby';
const key = new TextEncoder().encode(TEST_JWT_SECRET);
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

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
  ];

  it.each(refusedTokens)('refuses %s with UNAUTHENTICATED', async (_name, makeAuth) => {
    const err = await refusal(app.url, await makeAuth());
    expect(err.message).toBe('UNAUTHENTICATED');
    expect(err.data).toEqual({ code: 'UNAUTHENTICATED', message: expect.any(String) });
    expect(err.data?.message.length).toBeGreaterThan(0);
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
