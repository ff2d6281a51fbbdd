import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { WebSocketServer } from 'ws';
import {
  RealtimeClient,
  webSocketTransport,
  type RealtimeClientOptions,
} from '@avalon-realtime/client';
import type { Member, PresenceEvent } from '@avalon-realtime/client/protocol';
import { bindWxLifecycle, wxWebSocket } from '@avalon-realtime/client/wechat';
import { AppProcess, FAST_PRESENCE } from '../support/app.js';
import {
  closeAll,
  connect,
  nextEvent,
  record,
  request,
  requestOk,
  untilRecorded,
  type TestSocket,
} from '../support/client.js';
import { FakeWx } from '../support/fake-wx.js';
import { tokenFor } from '../support/tokens.js';

let roomCounter = 0;
const newRoom = () => `wxroom-${++roomCounter}`;

/** Resolves on the next call of the handler that `assign` installs. */
function nextCall<T>(assign: (handler: (event: T) => void) => void): Promise<T> {
  return new Promise((resolve) => assign(resolve));
}

/**
 * FAST_PRESENCE's transport pings (a lost transport is seen within about a second), with a
 * TTL long enough that a member who comes back right after being seen away resumes well
 * before it would time out.
 */
const SETTINGS = { ...FAST_PRESENCE, PRESENCE_TTL_MS: '4000' };
let app: AppProcess;

beforeAll(async () => {
  app = await AppProcess.start({ env: SETTINGS });
});

afterAll(async () => {
  await app?.kill();
});

describe('WeChat transport: wxWebSocket over wx.connectSocket (raw socket.io-client)', () => {
  const wxs: FakeWx[] = [];
  const sockets: (Socket | TestSocket)[] = [];
  const newWx = (...args: ConstructorParameters<typeof FakeWx>) => {
    const wx = new FakeWx(...args);
    wxs.push(wx);
    return wx;
  };

  /** A socket.io-client socket whose only transport is wxWebSocket(wx); resolves connected. */
  async function wxSocket(wx: FakeWx, userId: string): Promise<TestSocket> {
    const socket = io(app.url, {
      transports: [webSocketTransport(wxWebSocket(wx))],
      auth: { token: await tokenFor(userId) },
      reconnection: false,
      forceNew: true,
    }) as unknown as TestSocket;
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return socket;
  }

  async function observer(userId: string): Promise<TestSocket> {
    const socket = await connect(app.url, userId);
    sockets.push(socket);
    return socket;
  }

  afterEach(() => {
    closeAll(...(sockets.splice(0) as TestSocket[]));
    wxs.splice(0).forEach((wx) => wx.destroy());
  });

  it('connects through wx.connectSocket without an Origin header and answers presence:join', async () => {
    const roomId = newRoom();
    const bob = await observer('bob');
    await requestOk(bob, 'presence:join', { roomId, connId: 'bob-c' });
    const wx = newWx();
    const alice = await wxSocket(wx, 'alice');

    expect(wx.opened).toHaveLength(1);
    const [task] = wx.opened;
    expect(task.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket\.io\/\?EIO=4&transport=websocket/);
    expect(Object.keys(task.headers).map((name) => name.toLowerCase())).not.toContain('origin');

    const seen = nextEvent<PresenceEvent>(bob, 'presence:event', (e) => e.connId === 'alice-c');
    const joined = await requestOk<{ connId: string; members: { connId: string }[] }>(
      alice,
      'presence:join',
      { roomId, connId: 'alice-c', state: { seat: 1 } },
    );
    expect(joined.connId).toBe('alice-c');
    expect(joined.members.map((m) => m.connId).sort()).toEqual(['alice-c', 'bob-c']);
    expect(await seen).toMatchObject({
      type: 'join',
      userId: 'alice',
      member: { status: 'online', state: { seat: 1 } },
    });
    // Bob's broadcast reaches Alice through the SocketTask's onMessage.
    const heard = nextEvent<{ data: unknown }>(alice, 'room:message');
    await requestOk(bob, 'room:message', { roomId, type: 'chat', data: { text: 'hi' } });
    expect((await heard).data).toEqual({ text: 'hi' });
  });

  it('connects when the runtime sends Origin weapp://wechat-game-runtime (iOS) and CORS_ORIGIN is unset', async () => {
    const wx = newWx({ origin: 'weapp://wechat-game-runtime' });
    const alice = await wxSocket(wx, 'alice');
    expect(wx.opened[0].headers.Origin).toBe('weapp://wechat-game-runtime');
    await requestOk(alice, 'presence:join', { roomId: newRoom(), connId: 'alice-ios' });
  });

  it('sends binary attachments as ArrayBuffer frames (WeChat takes no Buffer or view)', async () => {
    const wx = newWx();
    const alice = await wxSocket(wx, 'alice');
    // The server takes JSON only: a binary field is refused by name, which it can only do
    // once it has the whole packet, attachment included.
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const ack = await request(alice, 'presence:join', {
      roomId: newRoom(),
      connId: 'alice-bin',
      state: { blob: bytes },
    });
    expect(ack).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    const binaryFrames = wx.opened[0].sent.filter((frame) => typeof frame !== 'string');
    // Engine.IO prefixes nothing to binary websocket frames: the attachment's bytes exactly.
    expect(binaryFrames).toEqual([bytes]);
  });

  it('close() closes the task, and the others see the member leave (reason left)', async () => {
    const roomId = newRoom();
    const bob = await observer('bob');
    await requestOk(bob, 'presence:join', { roomId, connId: 'bob-c' });
    const wx = newWx();
    const alice = await wxSocket(wx, 'alice');
    const joined = nextEvent<PresenceEvent>(bob, 'presence:event', (e) => e.connId === 'alice-c');
    await requestOk(alice, 'presence:join', { roomId, connId: 'alice-c' });
    await joined;

    const left = nextEvent<PresenceEvent>(bob, 'presence:event', (e) => e.type === 'leave');
    alice.close();
    expect(await left).toMatchObject({ connId: 'alice-c', reason: 'left' });
    const [task] = wx.opened;
    await until(() => task.readyState === 3, 'the SocketTask closes');
  });
});

describe('wxWebSocket against a plain websocket echo server', () => {
  let server: WebSocketServer;
  let url: string;
  const closes: { code: number; reason: string }[] = [];
  const wxs: FakeWx[] = [];

  beforeAll(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    server.on('connection', (ws, req) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
      if (req.url === '/close-me') {
        ws.close(4001, 'go away');
      }
    });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(() => wxs.splice(0).forEach((wx) => wx.destroy()));

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function open(wx = new FakeWx()) {
    wxs.push(wx);
    const WxWebSocket = wxWebSocket(wx);
    const ws = new WxWebSocket(url);
    return { wx, ws, WxWebSocket };
  }

  it('goes CONNECTING → OPEN → CLOSING → CLOSED and closes with the given code and reason', async () => {
    const { ws, WxWebSocket } = open();
    expect([
      WxWebSocket.CONNECTING,
      WxWebSocket.OPEN,
      WxWebSocket.CLOSING,
      WxWebSocket.CLOSED,
    ]).toEqual([0, 1, 2, 3]);
    expect(ws.readyState).toBe(0);
    expect(ws.binaryType).toBe('arraybuffer');
    expect(() => ws.send('too early')).toThrow(/CONNECTING/);
    await nextCall((h) => (ws.onopen = h as never));
    expect(ws.readyState).toBe(1);

    const closed = nextCall<{ code: number; reason: string }>((h) => (ws.onclose = h as never));
    ws.close(4000, 'bye');
    expect(ws.readyState).toBe(2);
    expect(await closed).toMatchObject({ code: 4000, reason: 'bye' });
    expect(ws.readyState).toBe(3);
    await until(() => closes.some((c) => c.code === 4000), 'the server sees the close');
    expect(closes).toContainEqual({ code: 4000, reason: 'bye' });
  });

  it('sends strings as text and ArrayBuffers and views as binary; binary arrives as ArrayBuffer', async () => {
    const { wx, ws } = open();
    await nextCall((h) => (ws.onopen = h as never));
    const echo = async (data: string | ArrayBuffer | ArrayBufferView) => {
      const message = nextCall<{ data: unknown }>((h) => (ws.onmessage = h as never));
      ws.send(data);
      return (await message).data;
    };

    expect(await echo('héllo')).toBe('héllo');

    const buffer = new Uint8Array([1, 2, 3, 254]).buffer;
    const fromBuffer = await echo(buffer);
    expect(Object.prototype.toString.call(fromBuffer)).toBe('[object ArrayBuffer]');
    expect([...new Uint8Array(fromBuffer as ArrayBuffer)]).toEqual([1, 2, 3, 254]);

    // A view of the middle of a larger buffer sends the viewed bytes only.
    const whole = new Uint8Array([9, 9, 5, 6, 7, 9]);
    const fromView = await echo(whole.subarray(2, 5));
    expect([...new Uint8Array(fromView as ArrayBuffer)]).toEqual([5, 6, 7]);
    const fromNodeBuffer = await echo(Buffer.from('abc'));
    expect(Buffer.from(fromNodeBuffer as ArrayBuffer).toString()).toBe('abc');

    expect(wx.opened[0].sent).toEqual([
      'héllo',
      Buffer.from([1, 2, 3, 254]),
      Buffer.from([5, 6, 7]),
      Buffer.from('abc'),
    ]);
  });

  it('reports a close by the server once, with its code and reason', async () => {
    const wx = new FakeWx();
    wxs.push(wx);
    const ws = new (wxWebSocket(wx))(`${url}/close-me`);
    const calls: { code?: number; reason?: string }[] = [];
    ws.onclose = (event) => calls.push(event);
    await until(() => calls.length > 0, 'onclose');
    ws.close(); // already closed: nothing more
    expect(calls).toEqual([expect.objectContaining({ code: 4001, reason: 'go away' })]);
    expect(ws.readyState).toBe(3);
  });

  it('surfaces a failed send as onerror (in the background WeChat answers "interrupted")', async () => {
    const { wx, ws } = open();
    await nextCall((h) => (ws.onopen = h as never));
    wx.hide();
    const error = nextCall<{ errMsg: string }>((h) => (ws.onerror = h as never));
    ws.send('while hidden');
    expect((await error).errMsg).toMatch(/interrupted/);
    wx.show();
  });

  it('surfaces a failed connectSocket as onerror, then onclose 1006', async () => {
    const wx = new FakeWx();
    wxs.push(wx);
    wx.hide();
    const ws = new (wxWebSocket(wx))(url);
    const events: string[] = [];
    ws.onerror = (event) => events.push(`error ${(event as { errMsg: string }).errMsg}`);
    const closed = nextCall<{ code: number }>((h) => (ws.onclose = h as never));
    expect((await closed).code).toBe(1006);
    expect(events).toEqual(['error connectSocket:fail interrupted']);
    expect(ws.readyState).toBe(3);
  });
});

describe('bindWxLifecycle', () => {
  it('pauses on wx.onHide, resumes on wx.onShow, and unbinds with wx.offHide/offShow', () => {
    const wx = new FakeWx();
    const calls: string[] = [];
    const unbind = bindWxLifecycle(wx, {
      pause: () => calls.push('pause'),
      resume: () => calls.push('resume'),
    });
    expect(wx.lifecycleListeners).toBe(2);
    wx.hide();
    wx.show();
    unbind();
    expect(wx.lifecycleListeners).toBe(0);
    wx.hide();
    wx.show();
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('does nothing after unbinding where the base library has no offHide/offShow', () => {
    const listeners: (() => void)[] = [];
    const oldWx = {
      onHide: (listener: () => void) => listeners.push(listener),
      onShow: (listener: () => void) => listeners.push(listener),
    };
    const calls: string[] = [];
    const unbind = bindWxLifecycle(oldWx, {
      pause: () => calls.push('pause'),
      resume: () => calls.push('resume'),
    });
    listeners.forEach((listener) => listener());
    unbind();
    listeners.forEach((listener) => listener());
    expect(calls).toEqual(['pause', 'resume']);
  });
});

describe('a WeChat mini-game through the SDK (RealtimeClient + wxWebSocket + bindWxLifecycle)', () => {
  const clients: RealtimeClient[] = [];
  const sockets: TestSocket[] = [];
  const wxs: FakeWx[] = [];
  const unbinds: (() => void)[] = [];

  afterEach(async () => {
    unbinds.splice(0).forEach((unbind) => unbind());
    await Promise.all(clients.splice(0).map((client) => client.close()));
    closeAll(...sockets.splice(0));
    wxs.splice(0).forEach((wx) => wx.destroy());
  });

  function client(userId: string, options: Partial<RealtimeClientOptions> = {}): RealtimeClient {
    const made = new RealtimeClient({
      url: app.url,
      token: () => tokenFor(userId),
      requestTimeoutMs: 3000,
      reconnect: { minDelayMs: 50, maxDelayMs: 400 },
      ...options,
    });
    clients.push(made);
    return made;
  }

  /**
   * A room with Bob (an ordinary socket.io-client member), Carol (an SDK member on a plain
   * websocket) and Alice, who plays in WeChat: RealtimeClient over wxWebSocket(wx), bound to
   * the game's lifecycle. Alice has sent one heartbeat with a state change, seen by Bob.
   */
  async function roomWithWeChatPlayer() {
    const roomId = newRoom();
    const bob = await connect(app.url, 'bob');
    sockets.push(bob);
    await requestOk(bob, 'presence:join', { roomId, connId: 'bob-c' });
    const bobSaw = record<PresenceEvent>(bob, 'presence:event');
    const carol = client('carol', { transports: ['websocket'] });
    await carol.connect();
    const carolRoom = carol.presence(roomId, { connId: 'carol-c' });
    await carolRoom.join();
    const carolSaw: string[] = [];
    (['join', 'update', 'leave'] as const).forEach((type) =>
      carolRoom.on(type, (member: Member) =>
        carolSaw.push(`${type} ${member.connId} ${member.status} ${JSON.stringify(member.state)}`),
      ),
    );

    const wx = new FakeWx();
    wxs.push(wx);
    const alice = client('alice', { WebSocket: wxWebSocket(wx) });
    unbinds.push(bindWxLifecycle(wx, alice));
    await alice.connect();
    const room = alice.presence(roomId, { connId: 'alice-wx', state: { seat: 1 } });
    const joined = await room.join();
    expect(joined.heartbeatIntervalMs).toBe(500);

    const aliceEvents = () => bobSaw.filter((e) => e.connId === 'alice-wx');
    const bobSees = (what: string, done: (events: PresenceEvent[]) => boolean) =>
      untilRecorded(bob, 'presence:event', bobSaw, () => done(aliceEvents())).catch(() => {
        throw new Error(`Bob did not see ${what}: ${JSON.stringify(aliceEvents())}`);
      });

    // A heartbeat through the SocketTask carries a state change to the others.
    room.setState({ ready: true });
    await room.flush();
    await bobSees('the ready update', (events) =>
      events.some((e) => e.type === 'update' && e.member?.state.ready === true),
    );
    return { wx, alice, room, joined, bobSaw, aliceEvents, bobSees, carolSaw, carolRoom };
  }

  type Scene = Awaited<ReturnType<typeof roomWithWeChatPlayer>>;

  /** Shows the game again; asserts what everyone saw from the start to the comeback. */
  async function comeBack(scene: Scene): Promise<void> {
    const { wx, alice, room, joined, bobSaw, aliceEvents, bobSees, carolSaw, carolRoom } = scene;
    wx.show();
    expect(alice.paused).toBe(false);
    const away = aliceEvents().findIndex((e) => e.member?.status === 'away');
    await bobSees('Alice back online', (events) =>
      events.slice(away + 1).some((e) => e.member?.status === 'online'),
    );
    // A later state change: everything the comeback caused was delivered before it.
    room.setState({ back: true });
    await room.flush();
    await bobSees('the back update', (events) =>
      events.some((e) => e.type === 'update' && e.member?.state.back === true),
    );

    // One join at the start; afterwards updates only: away, online again, then the state.
    expect(aliceEvents().map((e) => [e.type, e.member?.status, e.member?.state])).toEqual([
      ['join', 'online', { seat: 1 }],
      ['update', 'online', { seat: 1, ready: true }],
      ['update', 'away', { seat: 1, ready: true }],
      ['update', 'online', { seat: 1, ready: true }],
      ['update', 'online', { seat: 1, ready: true, back: true }],
    ]);
    expect(bobSaw.filter((e) => e.type === 'leave')).toEqual([]);
    expect(room.connId).toBe('alice-wx');
    expect(room.epoch).toBeGreaterThan(joined.epoch);
    // The comeback went over a new SocketTask; the first one is gone.
    expect(wx.opened[0].readyState).not.toBe(1);
    expect(wx.opened[wx.opened.length - 1].readyState).toBe(1);

    // The SDK member saw the same: Alice online at the end.
    await until(() => carolSaw.some((line) => line.includes('"back":true')), "Carol's back update");
    expect(carolSaw).toEqual([
      'join alice-wx online {"seat":1}',
      'update alice-wx online {"seat":1,"ready":true}',
      'update alice-wx away {"seat":1,"ready":true}',
      'update alice-wx online {"seat":1,"ready":true}',
      'update alice-wx online {"seat":1,"ready":true,"back":true}',
    ]);
    expect(carolRoom.members.get('alice-wx')?.status).toBe('online');
  }

  it('shows a backgrounded member away, then back online as one update: no leave, no join, same connId', async () => {
    const scene = await roomWithWeChatPlayer();
    // Background: nothing is read or answered, the server's pings time out.
    scene.wx.hide();
    expect(scene.alice.paused).toBe(true);
    await scene.bobSees('Alice away', (events) => events.some((e) => e.member?.status === 'away'));
    // Foreground: the client reconnects at once and resumes the room with its connId.
    await comeBack(scene);
  });

  it('comes back the same way after its own reconnects failed in the background', async () => {
    const scene = await roomWithWeChatPlayer();
    const { wx, alice, bobSees } = scene;
    wx.hide();
    await bobSees('Alice away', (events) => events.some((e) => e.member?.status === 'away'));
    // Still running in the background, the client notices its transport is dead (no pings)
    // and tries again: WeChat refuses network calls there ("interrupted").
    await until(
      () => wx.opened.length >= 3 && alice.status === 'reconnecting',
      'failed reconnects in the background',
    );
    expect(wx.opened.slice(1).every((task) => task.readyState === 3)).toBe(true);
    await comeBack(scene);
  });
});

/** Polls a condition with a deadline (for state that has no event of its own). */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
