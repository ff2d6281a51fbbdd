import { Redis } from 'ioredis';
import type { GameUpdate, GameView } from '@avalon-realtime/client/protocol';
import { AppProcess } from '../support/app.js';
import { closeAll, nextEvent, type TestSocket } from '../support/client.js';
import { gameKeys } from '../../src/engine/redis/keys.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import {
  gameOk,
  gameRequest,
  lastViews,
  playersIn,
  seatOf,
  startedGame,
  untilVersion,
} from './game-helpers.js';

const FIVE = ['ann', 'ben', 'cat', 'dan', 'eve'];
const TURN_MS = 1500;
let roomCounter = 0;
const newRoom = () => `rgame-${++roomCounter}`;

describe('Avalon across two processes on Redis', () => {
  let redis: RedisServer;
  let reader: Redis;
  const apps: AppProcess[] = [];
  const sockets: TestSocket[] = [];
  const table = async (urls: string[], roomId: string, users: string[]) => {
    const seats = await playersIn(urls, roomId, users);
    sockets.push(...seats.map((s) => s.socket));
    return seats;
  };
  const start = async (prefix: string, env: Record<string, string> = {}) => {
    const app = await AppProcess.start({ redisUrl: redis.url, prefix, env });
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    reader = new Redis(redis.url);
  });
  afterEach(async () => {
    closeAll(...sockets.splice(0));
    await Promise.all(apps.splice(0).map((app) => app.kill('SIGKILL')));
  });
  afterAll(async () => {
    await reader?.quit();
    await redis?.stop();
  });

  describe('without turn timers', () => {
    it('counts every vote when all five vote at once on two processes, and shows them all', async () => {
      const prefix = uniquePrefix();
      const [a, b] = [await start(prefix), await start(prefix)];
      const roomId = newRoom();
      const seats = await table([a.url, b.url], roomId, FIVE);
      const views = await startedGame(seats, roomId);
      const leader = seatOf(seats, views.get('ann')?.leader as string);
      const proposed = await gameOk(leader.socket, 'game:propose', {
        roomId,
        team: FIVE.slice(1, 3),
      });
      const approve = (userId: string) => userId !== 'ben';
      const acks = await Promise.all(
        seats.map((seat) =>
          gameOk(seat.socket, 'game:vote', { roomId, approve: approve(seat.userId) }),
        ),
      );
      const versions = acks.map((view) => view.version).sort((x, y) => x - y);
      expect(versions).toEqual([1, 2, 3, 4, 5].map((n) => proposed.version + n));
      await Promise.all(seats.map((seat) => untilVersion(seat, roomId, proposed.version + 5)));
      const revealed = Object.fromEntries(FIVE.map((userId) => [userId, approve(userId)]));
      for (const view of lastViews(seats, roomId)) {
        expect(view).toMatchObject({ version: proposed.version + 5, phase: 'questing' });
        expect(view.proposal?.votes).toEqual(revealed);
      }
      for (const seat of seats) {
        const mine = seat.updates.map((u) => u.version);
        expect(mine).toEqual([...mine].sort((x, y) => x - y));
        expect(new Set(mine).size).toBe(mine.length);
      }
    });

    it('creates one game when two players on two processes create at once', async () => {
      const prefix = uniquePrefix();
      const [a, b] = [await start(prefix), await start(prefix)];
      const roomId = newRoom();
      const seats = await table([a.url, b.url], roomId, ['ann', 'ben']);
      const acks = await Promise.all(
        seats.map((seat) => gameRequest(seat.socket, 'game:create', { roomId })),
      );
      const created = acks.filter((ack) => ack.ok);
      expect(created).toHaveLength(1);
      const refused = acks.find((ack) => !ack.ok);
      expect(refused).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      const [view] = await Promise.all(seats.map((s) => gameOk(s.socket, 'game:view', { roomId })));
      expect(view).toEqual((created[0] as { data: GameView }).data);
    });
  });

  describe(`with GAME_TURN_TIMEOUT_MS=${TURN_MS}`, () => {
    const env = { GAME_TURN_TIMEOUT_MS: String(TURN_MS) };

    it('runs a deadline set by a process killed with SIGKILL, once, on the other process', async () => {
      const prefix = uniquePrefix();
      const a = await start(prefix, env);
      await a.untilLogged(/turn timer lease taken/);
      const b = await start(prefix, env);
      const roomId = newRoom();
      // The game is started through the lease holder, whose death must not lose its deadline.
      const seats = await table([a.url, a.url, b.url, b.url, b.url], roomId, FIVE);
      const onB = seats.slice(2);
      const views = await startedGame(seats.slice(0, 2).concat(onB), roomId);
      const started = views.get('ann') as GameView;
      const passed = Promise.all(
        onB.map((seat) => untilVersion(seat, roomId, started.version + 1)),
      );
      await a.kill('SIGKILL');
      const firstPass = await passed;
      for (const { view } of firstPass) {
        expect(view).toMatchObject({
          version: started.version + 1,
          phase: 'proposing',
          rejections: 0,
        });
        expect(view.leader).not.toBe(started.leader);
      }
      // The next turn's deadline is B's own: it passes the leadership once more.
      const next = await untilVersion(onB[0], roomId, started.version + 2);
      expect(next.view).toMatchObject({ version: started.version + 2, phase: 'proposing' });
      expect(next.view.leader).not.toBe(firstPass[0].view.leader);
      expect(next.view.rejections).toBe(0);
      const seen = onB[0].updates.map((u) => u.version);
      expect(seen).toEqual([...new Set(seen)].sort((x, y) => x - y));
    });

    it('keeps one deadline through a turn: votes do not restart it', async () => {
      const prefix = uniquePrefix();
      const a = await start(prefix, env);
      const roomId = newRoom();
      const seats = await table([a.url], roomId, FIVE);
      const views = await startedGame(seats, roomId);
      const leader = seatOf(seats, views.get('ann')?.leader as string);
      const deadline = () => reader.hget(gameKeys(prefix, roomId).game, 'deadline');
      const proposed = await gameOk(leader.socket, 'game:propose', {
        roomId,
        team: FIVE.slice(0, 2),
      });
      const voteDeadline = await deadline();
      expect(Number(voteDeadline)).toBeGreaterThan(0);
      for (const seat of seats.slice(0, 3)) {
        await gameOk(seat.socket, 'game:vote', { roomId, approve: true });
        expect(await deadline()).toBe(voteDeadline);
      }
      const settled = await nextEvent<GameUpdate>(
        seats[0].socket,
        'game:update',
        (u) => u.version === proposed.version + 4,
        TURN_MS * 4,
      );
      expect(settled.view.proposal?.votes).toEqual({
        ann: true,
        ben: true,
        cat: true,
        dan: false,
        eve: false,
      });
      expect(settled.view.phase).toBe('questing');
      expect(Number(await deadline())).toBeGreaterThan(Number(voteDeadline));
    });
  });
});
