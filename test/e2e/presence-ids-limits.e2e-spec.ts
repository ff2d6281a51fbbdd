import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import { closeAll, connect, request, type TestSocket } from '../support/client.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { join, list } from './presence-helpers.js';

/** connIds that broke a room in version 1 (reply parsing looked them up as refusal words). */
const HOSTILE_CONN_IDS = ['toString', 'constructor', 'FORBIDDEN', 'NOT_JOINED', 'ROOM_FULL'];

describe.each(['memory', 'redis'])('presence ids and per-user limits (%s engine)', (engine) => {
  let redis: RedisServer | undefined;
  let app: AppProcess;
  const sockets: TestSocket[] = [];
  let roomCounter = 0;
  const newRoom = () => `${engine}-room-${++roomCounter}`;

  const open = async (userId: string): Promise<TestSocket> => {
    const socket = await connect(app.url, userId);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    const env = { ...NO_RATE_LIMITS, ROOM_MAX_CONN_PER_USER: '2' };
    if (engine === 'redis') {
      redis = await RedisServer.start();
      app = await AppProcess.start({ redisUrl: redis.url, prefix: uniquePrefix(), env });
    } else {
      app = await AppProcess.start({ env });
    }
  });
  afterEach(() => closeAll(...sockets.splice(0)));
  afterAll(async () => {
    await app?.kill();
    await redis?.stop();
  });

  it.each(HOSTILE_CONN_IDS)('a member with connId %s breaks nothing for the others', async (id) => {
    const roomId = newRoom();
    const [mallory, bob] = [await open('mallory'), await open('bob')];
    await join(mallory, { roomId, connId: id });
    await join(bob, { roomId, connId: 'bob-1' });
    const { members } = await list(bob, roomId);
    expect(members.map((m) => [m.connId, m.userId])).toStrictEqual(
      [
        [id, 'mallory'],
        ['bob-1', 'bob'],
      ].sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    const leave = await request(mallory, 'presence:leave', { roomId, connId: id });
    expect(leave).toStrictEqual({ ok: true, data: { left: true } });
  });

  it('refuses a third connId of one user with ROOM_FULL, never a resume', async () => {
    const roomId = newRoom();
    const alice = await open('alice');
    await join(alice, { roomId, connId: 'a-1' });
    await join(alice, { roomId, connId: 'a-2' });
    const third = await request(alice, 'presence:join', { roomId, connId: 'a-3' });
    expect(third).toMatchObject({ ok: false, error: { code: 'ROOM_FULL' } });
    expect(await join(alice, { roomId, connId: 'a-2' })).toMatchObject({ resumed: true });
    const bob = await open('bob');
    expect(await join(bob, { roomId, connId: 'b-1' })).toMatchObject({ resumed: false });
    const { members } = await list(bob, roomId);
    expect(members.map((m) => m.connId)).toStrictEqual(['a-1', 'a-2', 'b-1']);
  });
});
