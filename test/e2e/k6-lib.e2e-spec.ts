import WebSocket from 'ws';
import { ConnectError, SocketIoClient } from '../../k6/lib/socketio.js';
import { intFrom, socketUrl, userIds } from '../../k6/lib/settings.js';
import { AppProcess } from '../support/app.js';
import { nodeClock, openSocket, scriptToken } from './k6-shim.js';

/** Short transport pings, so "outlives the ping interval and timeout" takes under a second. */
const PINGS = {
  SOCKET_PING_INTERVAL_MS: '200',
  SOCKET_PING_TIMEOUT_MS: '200',
  PRESENCE_TTL_MS: '1500',
  PRESENCE_HEARTBEAT_INTERVAL_MS: '500',
};

describe('k6/lib/socketio.js on the ws package (memory engine)', () => {
  let app: AppProcess;
  let url: string;
  const clients: SocketIoClient[] = [];

  /** A client over a fresh `ws` websocket, closed after the test. */
  const client = (options?: { timeoutMs?: number }) => {
    const opened = new SocketIoClient(openSocket(url), nodeClock, options);
    clients.push(opened);
    return opened;
  };
  const connected = async (userId: string) => {
    const opened = client();
    await opened.connect({ token: scriptToken(userId) });
    return opened;
  };

  beforeAll(async () => {
    app = await AppProcess.start({ env: PINGS });
    url = socketUrl(app.url);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((opened) => opened.close()));
  });

  afterAll(async () => {
    await app?.kill();
  });

  it('reads the open packet and completes CONNECT with the auth payload {token}', async () => {
    const alice = client();
    const sid = await alice.connect({ token: scriptToken('alice') });
    expect(sid).toMatch(/^\S+$/);
    expect(alice.handshake).toMatchObject({ pingInterval: 200, pingTimeout: 200 });
    const { ack } = await alice.request('presence:join', { roomId: 'lib-join', connId: 'a-c' });
    expect(ack).toEqual({
      ok: true,
      data: expect.objectContaining({ roomId: 'lib-join', connId: 'a-c', resumed: false }),
    });
  });

  it('matches each ack to its request by id when answers are in flight together', async () => {
    const alice = await connected('alice');
    const rooms = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    const answers = await Promise.all(
      rooms.map((roomId) => alice.request('presence:list', { roomId })),
    );
    expect(answers.map(({ ack }) => ack)).toEqual(
      rooms.map((roomId) => ({ ok: true, data: { roomId, members: [] } })),
    );
  });

  it('answers server pings with pong, so the session outlives interval + timeout', async () => {
    const alice = await connected('alice');
    // Four pings take 800 ms: twice what a client that never answers is given.
    await new Promise<void>((resolve) => alice.onPing(() => alice.pingsAnswered >= 4 && resolve()));
    const { ack } = await alice.request('presence:list', { roomId: 'still-here' });
    expect(ack.ok).toBe(true);
    expect(alice.closedBecause).toBeUndefined();
  });

  it('is dropped by the server when pongs are missing (what the pongs prevent)', async () => {
    const silent = new WebSocket(url);
    silent.on('message', (data: Buffer) => {
      if (data.toString().startsWith('0')) {
        silent.send(`40${JSON.stringify({ token: scriptToken('silent') })}`);
      }
    });
    await new Promise((resolve) => silent.once('close', resolve));
  });

  it('rejects connect with the server code when the token is refused', async () => {
    const signedElsewhere = client();
    const refusal = await signedElsewhere
      .connect({ token: scriptToken('mallory', 'some-other-secret-0123456789') })
      .catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(ConnectError);
    expect(refusal).toMatchObject({ code: 'UNAUTHENTICATED' });
    const noToken = await client()
      .connect({})
      .catch((err: unknown) => err);
    expect(noToken).toMatchObject({ code: 'UNAUTHENTICATED', message: /missing token/ });
  });

  it('delivers pushed events to on() and passes { ok: false } acks through', async () => {
    const [alice, bob] = await Promise.all([connected('alice'), connected('bob')]);
    await alice.request('presence:join', { roomId: 'lib-push', connId: 'a-c' });
    await bob.request('presence:join', { roomId: 'lib-push', connId: 'b-c' });
    const pushed = new Promise((resolve) => bob.on('room:message', resolve));
    await alice.request('room:message', { roomId: 'lib-push', data: { n: 1 } });
    expect(await pushed).toMatchObject({ roomId: 'lib-push', from: { userId: 'alice' } });
    const stale = { roomId: 'lib-push', connId: 'b-c', epoch: 7 };
    const { ack } = await bob.request('presence:heartbeat', stale);
    expect(ack).toMatchObject({ ok: false, error: { code: 'STALE_EPOCH' } });
  });

  it('rejects requests still waiting when the socket closes', async () => {
    const alice = await connected('alice');
    const waiting = alice.request('presence:list', { roomId: 'cut' }).catch((err: Error) => err);
    await alice.close();
    expect(await waiting).toEqual(new Error('closed by the client before the ack came'));
    await expect(alice.request('presence:list', { roomId: 'cut' })).rejects.toThrow(
      'closed by the client',
    );
  });
});

describe('k6/lib/settings.js', () => {
  it('builds the websocket endpoint, ids and integer knobs', () => {
    expect(socketUrl('https://game.example.com/')).toBe(
      'wss://game.example.com/socket.io/?EIO=4&transport=websocket',
    );
    expect(userIds('k6-load', 11, 10)).toEqual({
      userId: 'k6-load-u11',
      connId: 'k6-load-u11-c',
      roomId: 'k6-load-room2',
    });
    expect(intFrom({ VUS: '40' }, 'VUS', 1)).toBe(40);
    expect(intFrom({}, 'VUS', 7)).toBe(7);
    expect(() => intFrom({ VUS: 'many' }, 'VUS', 1)).toThrow('VUS must be a positive integer');
  });
});
