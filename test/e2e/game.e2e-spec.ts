import type { GameView } from '@avalon-realtime/client/protocol';
import { AppProcess } from '../support/app.js';
import { closeAll, connect, dropTransport, type TestSocket } from '../support/client.js';
import { errorOf } from './metadata-helpers.js';
import { join } from './presence-helpers.js';
import {
  gameOk,
  gameRequest,
  lastViews,
  playersIn,
  seatOf,
  startedGame,
  untilVersion,
  type Seat,
} from './game-helpers.js';

const EVIL = new Set(['assassin', 'morgana', 'mordred', 'oberon', 'minion']);
let roomCounter = 0;
const newRoom = () => `game-${++roomCounter}`;
const FIVE = ['ann', 'ben', 'cat', 'dan', 'eve'];

describe('Avalon over Socket.IO (memory engine)', () => {
  let app: AppProcess;
  const sockets: TestSocket[] = [];
  const table = async (roomId: string, users: string[]) => {
    const seats = await playersIn([app.url], roomId, users);
    sockets.push(...seats.map((s) => s.socket));
    return seats;
  };

  beforeAll(async () => {
    app = await AppProcess.start();
  });
  afterEach(() => closeAll(...sockets.splice(0)));
  afterAll(async () => {
    await app?.kill();
  });

  it('answers NOT_JOINED outside the room, NOT_FOUND without a game, BAD_REQUEST for bad payloads', async () => {
    const roomId = newRoom();
    const alice = await connect(app.url, 'alice');
    sockets.push(alice);
    errorOf(await gameRequest(alice, 'game:create', { roomId }), 'NOT_JOINED');
    errorOf(await gameRequest(alice, 'game:view', { roomId }), 'NOT_JOINED');
    await join(alice, { roomId, connId: 'alice-c' });
    errorOf(await gameRequest(alice, 'game:view', { roomId }), 'NOT_FOUND');
    errorOf(await gameRequest(alice, 'game:vote', { roomId, approve: true }), 'NOT_FOUND');
    const bad: [string, Record<string, unknown>][] = [
      ['game:create', { roomId, roles: { merlin: true } }],
      ['game:create', { roomId, roles: { percival: 'yes' } }],
      ['game:sit', { roomId, seat: 10 }],
      ['game:sit', { roomId, seat: 1.5 }],
      ['game:vote', { roomId, approve: 'yes' }],
      ['game:propose', { roomId, team: 'bob' }],
      ['game:propose', { roomId, team: Array.from({ length: 11 }, (_, i) => `u${i}`) }],
      ['game:assassinate', { roomId, target: '' }],
      ['game:view', { roomId: '' }],
    ];
    for (const [event, payload] of bad) {
      expect(
        `${event} ${errorOf(await gameRequest(alice, event, payload), 'BAD_REQUEST').code}`,
      ).toBe(`${event} BAD_REQUEST`);
    }
    errorOf(await gameRequest(alice, 'game:view', { roomId }), 'NOT_FOUND');
  });

  it('deals roles in private: each socket only ever gets its own `me`, a spectator none', async () => {
    const roomId = newRoom();
    const seats = await table(roomId, [...FIVE, 'watcher']);
    const players = seats.slice(0, 5);
    const views = await startedGame(players, roomId, { percival: true, morgana: true });
    const roles = FIVE.map((userId) => views.get(userId)?.me?.role);
    expect(roles.filter((role) => role && EVIL.has(role))).toHaveLength(2);
    expect(new Set(roles)).toEqual(
      new Set(['merlin', 'percival', 'servant', 'assassin', 'morgana']),
    );
    const watcher = seatOf(seats, 'watcher');
    await untilVersion(watcher, roomId, views.get('ann')?.version ?? 0);
    for (const seat of seats) {
      const own = views.get(seat.userId)?.me;
      expect(seat.updates.length).toBeGreaterThan(0);
      for (const { view } of seat.updates) {
        expect(view.me === undefined || JSON.stringify(view.me) === JSON.stringify(own)).toBe(true);
        expect(view.roles).toBeUndefined();
      }
    }
    expect(watcher.updates.every(({ view }) => view.me === undefined)).toBe(true);
    expect(await gameOk(watcher.socket, 'game:view', { roomId })).not.toHaveProperty('me');
  });

  it('keeps votes sealed until the last one is cast, then shows them all to everyone', async () => {
    const roomId = newRoom();
    const seats = await table(roomId, FIVE);
    const views = await startedGame(seats, roomId);
    const leader = seatOf(seats, views.get('ann')?.leader as string);
    const team = FIVE.slice(0, 2);
    await gameOk(leader.socket, 'game:propose', { roomId, team });
    const approve = (userId: string) => userId !== 'eve';
    let view: GameView | undefined;
    for (const seat of seats.slice(0, 4)) {
      view = await gameOk(seat.socket, 'game:vote', { roomId, approve: approve(seat.userId) });
      expect(view.proposal?.votes).toBeUndefined();
    }
    await Promise.all(seats.map((seat) => untilVersion(seat, roomId, view?.version ?? 0)));
    for (const sealed of lastViews(seats, roomId)) {
      expect(sealed.proposal?.votesCast).toEqual(FIVE.slice(0, 4));
      expect(sealed.proposal).not.toHaveProperty('votes');
    }
    errorOf(
      await gameRequest(seats[0].socket, 'game:vote', { roomId, approve: false }),
      'BAD_REQUEST',
    );
    const last = await gameOk(seats[4].socket, 'game:vote', { roomId, approve: false });
    await Promise.all(seats.map((seat) => untilVersion(seat, roomId, last.version)));
    const revealed = Object.fromEntries(FIVE.map((userId) => [userId, approve(userId)]));
    for (const shown of lastViews(seats, roomId)) {
      expect(shown.proposal?.votes).toEqual(revealed);
      expect(shown.phase).toBe('questing');
      expect(shown.proposal?.team).toEqual(team);
    }
  });

  it('refuses what the rules forbid, naming the rule, and changes nothing', async () => {
    const roomId = newRoom();
    const seats = await table(roomId, FIVE);
    const views = await startedGame(seats, roomId);
    const version = views.get('ann')?.version;
    const leaderId = views.get('ann')?.leader as string;
    const other = seats.find((seat) => seat.userId !== leaderId && seat.userId !== 'ann') as Seat;
    const refusals = [
      [await gameRequest(other.socket, 'game:end', { roomId }), 'FORBIDDEN', /host/],
      [
        await gameRequest(other.socket, 'game:propose', { roomId, team: FIVE.slice(0, 2) }),
        'FORBIDDEN',
        /leader/,
      ],
      [await gameRequest(seats[0].socket, 'game:create', { roomId }), 'BAD_REQUEST', /game/],
      [
        await gameRequest(seats[0].socket, 'game:vote', { roomId, approve: true }),
        'BAD_REQUEST',
        /propos|phase/,
      ],
      [
        await gameRequest(seatOf(seats, leaderId).socket, 'game:propose', {
          roomId,
          team: FIVE.slice(0, 3),
        }),
        'BAD_REQUEST',
        /2/,
      ],
    ] as const;
    for (const [ack, code, rule] of refusals) {
      expect(errorOf(ack, code).message).toMatch(rule);
    }
    expect((await gameOk(seats[0].socket, 'game:view', { roomId })).version).toBe(version);
  });

  it('gives a player who dropped and came back their private view and seat; the game went on', async () => {
    const roomId = newRoom();
    const seats = await table(roomId, FIVE);
    const views = await startedGame(seats, roomId);
    const leaderId = views.get('ann')?.leader as string;
    const dropped = seats.find((seat) => seat.userId !== leaderId) as Seat;
    await dropTransport(dropped.socket);
    const proposed = await gameOk(seatOf(seats, leaderId).socket, 'game:propose', {
      roomId,
      team: [leaderId, dropped.userId],
    });
    expect(proposed.phase).toBe('voting');
    dropped.socket.close();
    const back = await connect(app.url, dropped.userId);
    sockets.push(back);
    const resumed = await join(back, { roomId, connId: `${dropped.userId}-c` });
    expect(resumed.resumed).toBe(true);
    const view = await gameOk(back, 'game:view', { roomId });
    expect(view.me).toEqual(views.get(dropped.userId)?.me);
    expect(view.players).toEqual(views.get(dropped.userId)?.players);
    expect(view.version).toBe(proposed.version);
    expect(view.proposal?.team).toEqual([leaderId, dropped.userId]);
    const voted = await gameOk(back, 'game:vote', { roomId, approve: true });
    expect(voted.proposal?.votesCast).toEqual([dropped.userId]);
  });

  it('lets the host end a game, reveals every role, and a new game continues the versions', async () => {
    const roomId = newRoom();
    const seats = await table(roomId, FIVE);
    const views = await startedGame(seats, roomId, { oberon: true });
    const ended = await gameOk(seats[0].socket, 'game:end', { roomId });
    expect(ended).toMatchObject({ phase: 'over', reason: 'abandoned' });
    expect(ended).not.toHaveProperty('winner');
    await Promise.all(seats.map((seat) => untilVersion(seat, roomId, ended.version)));
    const expectedRoles = Object.fromEntries(FIVE.map((id) => [id, views.get(id)?.me?.role]));
    for (const view of lastViews(seats, roomId)) {
      expect(view.roles).toEqual(expectedRoles);
    }
    const next = await gameOk(seats[3].socket, 'game:create', { roomId });
    expect(next).toMatchObject({
      phase: 'lobby',
      host: 'dan',
      players: [],
      version: ended.version + 1,
    });
    expect(next.gameId).not.toBe(ended.gameId);
  });
});
