import type { Member, RoomMessage } from '@avalon-realtime/client';
import { AppProcess, FAST_PRESENCE } from '../support/app.js';
import { Clients, dropTransport, nextOf, recordOf, until } from './sdk-helpers.js';

/** The SDK's presence channels against a real server (memory engine, short TTLs). */
describe('SDK presence channels', () => {
  let app: AppProcess;
  const clients = new Clients();
  let room = 0;
  const nextRoom = () => `sdk-room-${++room}`;

  beforeAll(async () => {
    app = await AppProcess.start({ env: { ...FAST_PRESENCE, SHUTDOWN_GRACE_MS: '200' } });
  });
  afterEach(() => clients.closeAll());
  afterAll(() => app.kill());

  /** Two users in one room; the observer already sees the player. */
  async function twoInRoom(roomId = nextRoom()) {
    const observerClient = await clients.connected(app.url, 'observer');
    const playerClient = await clients.connected(app.url, 'player');
    const observer = observerClient.presence(roomId, { state: { seat: 0 } });
    await observer.join();
    const player = playerClient.presence(roomId, { connId: `p-${roomId}`, state: { seat: 1 } });
    const seen = nextOf<[Member]>(observer, 'join', (m) => m.connId === player.connId);
    await player.join();
    await seen;
    return { roomId, observerClient, playerClient, observer, player };
  }

  it('shows joins, updates and leaves to the others, and both members maps agree', async () => {
    const { observer, player, playerClient } = await twoInRoom();
    expect([...observer.members.keys()].sort()).toEqual([...player.members.keys()].sort());
    expect(observer.members.get(player.connId!)).toMatchObject({
      userId: 'player',
      state: { seat: 1 },
      status: 'online',
    });

    const updated = nextOf<[Member]>(observer, 'update', (m) => m.connId === player.connId);
    player.setState({ ready: true });
    await player.flush();
    expect((await updated)[0].state).toEqual({ seat: 1, ready: true });
    expect(observer.members.get(player.connId!)?.state).toEqual(player.ownState);
    expect(player.members.get(player.connId!)?.state).toEqual({ seat: 1, ready: true });

    const left = nextOf<[Member]>(observer, 'leave', (m) => m.connId === player.connId);
    const mapAfter = nextOf<[ReadonlyMap<string, Member>]>(observer, 'members');
    await player.leave();
    expect((await left)[0]).toMatchObject({ userId: 'player', state: { seat: 1, ready: true } });
    expect([...(await mapAfter)[0].keys()]).toEqual([observer.connId]);
    expect(playerClient.openResources().rooms).toBe(0);
  });

  it('leaves for good when leave() is called while the join or heartbeats are in flight', async () => {
    const { roomId, observer, observerClient, player } = await twoInRoom();
    const client = await clients.connected(app.url, 'hasty');
    // leave() during join(): the join lands, then the server is told to let go of it
    const hasty = client.presence(roomId, { connId: 'hasty-c' });
    const joining = hasty.join().catch(() => undefined);
    await hasty.leave();
    await joining;
    // leave() with heartbeats queued behind it: none of them may rejoin the room
    const again = client.presence(roomId, { connId: 'hasty-2' });
    await again.join();
    again.setState({ a: 1 });
    void again.flush().catch(() => undefined);
    again.setState({ a: 2 });
    void again.flush().catch(() => undefined);
    await again.leave();
    expect(client.openResources()).toMatchObject({ rooms: 0 });
    // a barrier: an update the observer hears after anything the hasty client caused
    const barrier = nextOf<[Member]>(observer, 'update', (m) => m.connId === player.connId);
    player.setState({ barrier: true });
    await player.flush();
    await barrier;
    const { members } = await observerClient.request('presence:list', { roomId });
    expect(members.map((m) => m.connId).sort()).toEqual([observer.connId, `p-${roomId}`].sort());
  });

  it('keeps one channel per room: the same one again, another connId refused', async () => {
    const client = await clients.connected(app.url, 'solo');
    const roomId = nextRoom();
    const channel = client.presence(roomId, { connId: 'solo-1' });
    expect(client.presence(roomId)).toBe(channel);
    expect(client.presence(roomId, { connId: 'solo-1' })).toBe(channel);
    const refused = (() => {
      try {
        client.presence(roomId, { connId: 'solo-2' });
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toMatchObject({ code: 'BAD_REQUEST' });
    await channel.join();
    await channel.leave();
    const again = client.presence(roomId, { connId: 'solo-2' });
    expect(again).not.toBe(channel);
    await expect(again.join()).resolves.toMatchObject({ connId: 'solo-2', resumed: false });
  });

  it('coalesces several setState calls into one update the others see', async () => {
    const { observer, player } = await twoInRoom();
    const updates = recordOf<Member>(observer, 'update');
    player.setState({ hand: { cards: 3 } });
    player.setState({ hand: { cards: 2, picked: 'merlin' } });
    player.setState({ seat: null, hand: { cards: null } });
    await player.flush();
    // Room events reach a socket in the order the server sent them: once the observer has
    // the message sent after the flush, it has every update the flush caused.
    const barrier = nextOf<[RoomMessage]>(observer, 'message', (m) => m.type === 'barrier');
    await player.send('barrier', {});
    await barrier;
    expect(updates).toHaveLength(1);
    expect(updates[0].state).toEqual({ hand: { picked: 'merlin' } });
    expect(player.ownState).toEqual({ hand: { picked: 'merlin' } });
  });

  it('delivers room messages to the others, not to the sender', async () => {
    const { observer, player } = await twoInRoom();
    const own = recordOf<RoomMessage>(player, 'message');
    const received = nextOf<[RoomMessage]>(observer, 'message');
    const sent = await player.send('vote', { approve: true });
    const [message] = await received;
    expect(message).toMatchObject({
      id: sent.id,
      type: 'vote',
      data: { approve: true },
      from: { userId: 'player', connId: player.connId },
    });
    expect(own).toEqual([]);
  });

  it('hands each typed message handler the data of its type only, until removed', async () => {
    const { observer, player } = await twoInRoom();
    type Vote = { approve: boolean };
    const votes: Vote[] = [];
    const stop = observer.onMessage<Vote>('vote', (data, message) => {
      expect(message.from.userId).toBe('player');
      votes.push(data);
    });
    const last = nextOf<[RoomMessage]>(observer, 'message', (m) => m.type === 'end');
    await player.send<Vote>('vote', { approve: true });
    await player.send('chat', { text: 'not a vote' });
    await player.send<Vote>('vote', { approve: false });
    await player.send('end', {});
    await last;
    expect(votes).toEqual([{ approve: true }, { approve: false }]);
    stop();
    const after = nextOf<[RoomMessage]>(observer, 'message', (m) => m.type === 'end');
    await player.send<Vote>('vote', { approve: true });
    await player.send('end', {});
    await after;
    expect(votes).toHaveLength(2);
    expect(observer.listenerCount('message')).toBe(0);
  });

  it('after a dropped transport the others see away then online, one update each, never a leave or join', async () => {
    const { observer, player, playerClient } = await twoInRoom();
    const connId = player.connId;
    const epoch = player.epoch;
    const joins = recordOf<Member>(observer, 'join');
    const leaves = recordOf<Member>(observer, 'leave');
    const updates = recordOf<Member>(observer, 'update');
    const away = nextOf<[Member]>(observer, 'update', (m) => m.status === 'away');
    const statuses = recordOf<string>(playerClient, 'status');
    const back = nextOf(playerClient, 'reconnect');
    dropTransport(playerClient);
    await away;
    // Sent during the outage: it waits for the reconnect and the resume, then goes out.
    const message = nextOf<[RoomMessage]>(observer, 'message', (m) => m.type === 'after-drop');
    const sending = player.send('after-drop', { n: 1 });
    await back;
    await sending;
    await message;
    expect(updates.map((m) => [m.connId, m.status])).toEqual([
      [connId, 'away'],
      [connId, 'online'],
    ]);
    expect(joins).toEqual([]);
    expect(leaves).toEqual([]);
    expect(player.connId).toBe(connId);
    expect(player.epoch).toBeGreaterThan(epoch);
    expect(statuses).toEqual(['reconnecting', 'connected']);
    expect(player.members.get(connId!)?.status).toBe('online');
  });

  it('runs onReconnect hooks after rooms resumed and before requests queued during the outage', async () => {
    const { roomId, observer, player, playerClient } = await twoInRoom();
    const order: string[] = [];
    const pushes: string[] = [];
    const unlisten = playerClient.listen('room:message', (m) => pushes.push(m.type));
    const removeHook = playerClient.onReconnect(async () => {
      order.push(`hook: ${player.members.get(player.connId!)?.status}`);
      // A hook's own requests go out at once (they would wait for the hook otherwise).
      await playerClient.request('room:message', { roomId, type: 'from-hook', data: {} });
      order.push('hook done');
    });
    const online = nextOf<[Member]>(observer, 'update', (m) => m.status === 'online');
    dropTransport(playerClient);
    await nextOf(playerClient, 'status', (status) => status === 'reconnecting');
    const queued = playerClient
      .request('presence:list', { roomId })
      .then(() => order.push('queued request'));
    await online;
    await queued;
    expect(order).toEqual(['hook: online', 'hook done', 'queued request']);

    await observer.send('ping', {});
    await until(() => pushes.includes('ping'), 3000, 'ping pushed to the listener');
    unlisten();
    removeHook();
    const listeners = playerClient.openResources();
    expect(listeners.hooks).toBe(0);
    const second = nextOf(player, 'message', (m: RoomMessage) => m.type === 'ping-2');
    await observer.send('ping-2', {});
    await second;
    expect(pushes).toEqual(['ping']);
  });

  it('resume() after a pause reconnects at once instead of waiting out the backoff', async () => {
    const roomId = nextRoom();
    const observerClient = await clients.connected(app.url, 'observer');
    const observer = observerClient.presence(roomId);
    await observer.join();
    // socket.io-client would wait 10 s before its first reconnect attempt.
    const sleepy = await clients.connected(app.url, 'sleepy', {
      reconnect: { minDelayMs: 10_000, maxDelayMs: 10_000 },
    });
    const room = sleepy.presence(roomId, { connId: 'sleepy-1' });
    const seen = nextOf<[Member]>(observer, 'join', (m) => m.connId === 'sleepy-1');
    await room.join();
    await seen;
    sleepy.pause(); // WeChat onHide: the transport then drops by itself
    const away = nextOf<[Member]>(observer, 'update', (m) => m.status === 'away');
    dropTransport(sleepy);
    await away;
    const online = nextOf<[Member]>(observer, 'update', (m) => m.status === 'online', 3000);
    sleepy.resume();
    await nextOf(sleepy, 'reconnect', undefined, 3000);
    await online;
    expect(room.connId).toBe('sleepy-1');
    expect(sleepy.status).toBe('connected');
  });

  it('closes a channel with reason stale when another client resumes its connId', async () => {
    const { roomId, player, playerClient } = await twoInRoom();
    const second = await clients.connected(app.url, 'player');
    const closed = nextOf<[string]>(player, 'closed');
    const resumed = await second.presence(roomId, { connId: player.connId }).join();
    expect(resumed.resumed).toBe(true);
    const [reason] = await closed;
    expect(reason).toBe('stale');
    expect(player.closed).toBe(true);
    expect(player.openResources()).toEqual({ socketListeners: 0, timers: 0 });
    expect(player.listenerCount()).toBe(0);
    expect(playerClient.openResources().rooms).toBe(0);
  });

  it('rejoins with the same connId when the server forgot the connection (TTL passed while paused)', async () => {
    const { observer, player, playerClient } = await twoInRoom();
    const connId = player.connId;
    player.setState({ phase: 'night' });
    const timedOut = nextOf<[Member]>(observer, 'leave', (m) => m.connId === connId);
    playerClient.pause();
    await timedOut;
    expect(playerClient.status).toBe('connected'); // the transport stayed up
    const rejoined = nextOf<[Member]>(observer, 'join', (m) => m.connId === connId);
    playerClient.resume();
    const [member] = await rejoined;
    expect(member.state).toEqual({ seat: 1, phase: 'night' });
    expect(player.connId).toBe(connId);
    expect(player.joined).toBe(true);
  });

  it('leave() and close() leave nothing behind', async () => {
    const { roomId, observer, observerClient, player, playerClient } = await twoInRoom();
    const observerB = observerClient.presence(`${roomId}-b`);
    await observerB.join();
    const other = playerClient.presence(`${roomId}-b`);
    const joinedB = nextOf<[Member]>(observerB, 'join');
    await other.join();
    await joinedB;
    player.on('update', () => undefined);
    const baseline = playerClient.openResources().socketListeners;
    await player.leave();
    expect(player.openResources()).toEqual({ socketListeners: 0, timers: 0 });
    expect(player.listenerCount()).toBe(0);
    expect(playerClient.openResources()).toMatchObject({
      rooms: 1,
      socketListeners: baseline - 2,
    });
    await expect(player.send('late', {})).rejects.toMatchObject({ code: 'NOT_JOINED' });

    const left = nextOf<[Member]>(observerB, 'leave', (m) => m.connId === other.connId);
    const otherClosed = nextOf<[string]>(other, 'closed');
    await playerClient.close();
    expect((await otherClosed)[0]).toBe('closed');
    expect(playerClient.status).toBe('closed');
    expect(playerClient.openResources()).toEqual({
      socketListeners: 0,
      timers: 0,
      rooms: 0,
      metadataClients: 0,
      hooks: 0,
      waitingRequests: 0,
    });
    expect(playerClient.listenerCount()).toBe(0);
    expect(other.openResources()).toEqual({ socketListeners: 0, timers: 0 });
    await left;
    await expect(
      playerClient.request('presence:list', { roomId: `${roomId}-b` }),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'the client is closed' });
    expect([...observer.members.keys()]).toEqual([observer.connId]);
    expect([...observerB.members.keys()]).toEqual([observerB.connId]);
  });
});
