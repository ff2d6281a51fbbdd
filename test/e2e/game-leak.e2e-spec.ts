import type { GameRole, GameView } from '@avalon-realtime/client/protocol';
import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import { sideOfRole } from '../support/game-rules.js';
import { SIDES } from '../support/game-tables.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { recordingProblems } from './game-leak-checks.js';
import { isOver, playUntil } from './game-leak-driver.js';
import { GameOracle } from './game-leak-oracle.js';
import { LeakTable, type TableSetup } from './game-leak-table.js';

const ALL_ROLES = { percival: true, morgana: true, mordred: true, oberon: true };

const GAMES: [string, TableSetup][] = [
  ['5 players', { name: 'five', players: 5, roles: {}, seed: 5, failChance: 0.5 }],
  [
    '7 players with Percival and Morgana',
    {
      name: 'seven',
      players: 7,
      roles: { percival: true, morgana: true },
      seed: 7,
      failChance: 0.4,
    },
  ],
  [
    '6 players with Percival and Mordred',
    { name: 'six', players: 6, roles: { percival: true, mordred: true }, seed: 6, failChance: 0.5 },
  ],
  [
    '9 players with Percival, Morgana and Oberon',
    {
      name: 'nine',
      players: 9,
      roles: { percival: true, morgana: true, oberon: true },
      seed: 9,
      failChance: 0.4,
    },
  ],
  [
    '10 players with every optional role',
    { name: 'ten', players: 10, roles: ALL_ROLES, seed: 10, failChance: 0.3 },
  ],
];

/** The deal fits GAME.md (sides by player count, the chosen roles once each): a sane oracle. */
function dealProblems(roles: Record<string, GameRole>, setup: TableSetup): string[] {
  const dealt = Object.values(roles);
  const count = (role: GameRole) => dealt.filter((r) => r === role).length;
  const good = dealt.filter((r) => sideOfRole(r) === 'good').length;
  const problems = [
    dealt.length === setup.players ? '' : `${dealt.length} roles dealt`,
    good === SIDES[setup.players][0] ? '' : `${good} good players`,
    count('merlin') === 1 && count('assassin') === 1 ? '' : 'not one Merlin and one Assassin',
    ...Object.entries(setup.roles).map(([role, on]) =>
      count(role as GameRole) === (on ? 1 : 0) ? '' : `${role} dealt ${count(role as GameRole)}`,
    ),
  ];
  return problems.filter(Boolean);
}

/**
 * GAME.md's promise that no socket ever receives another player's secret, checked on
 * whole games over two processes and one Redis: every packet every socket received is
 * recorded, then judged against an oracle built from the roles revealed at the end and
 * the requests the players sent.
 */
describe('game leak test (Redis engine, two processes, every packet recorded)', () => {
  let redis: RedisServer;
  let apps: [AppProcess, AppProcess];
  let table: LeakTable | undefined;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const options = { redisUrl: redis.url, prefix: uniquePrefix(), env: NO_RATE_LIMITS };
    apps = await Promise.all([AppProcess.start(options), AppProcess.start(options)]);
  });

  afterEach(() => {
    table?.close();
    table = undefined;
  });

  afterAll(async () => {
    await Promise.all(apps?.map((app) => app.kill()) ?? []);
    await redis?.stop();
  });

  const seatedTable = async (setup: TableSetup) => {
    table = new LeakTable(setup, apps);
    await table.start();
    return table;
  };

  /** Waits for the last update everywhere, then runs every check on every recording. */
  async function verify(played: LeakTable): Promise<GameOracle> {
    const last = played.view;
    expect(last.phase).toBe('over');
    const live = played.live();
    await Promise.all(live.map((socket) => socket.untilVersion(last.version)));
    const finals: GameView[] = [];
    for (const socket of live) {
      finals.push(await socket.askOk<GameView>('game:view', { roomId: played.roomId }));
    }
    const roles = finals[finals.length - 1].roles ?? {};
    const oracle = new GameOracle(played.sent, roles, last.players);
    expect(dealProblems(roles, played.setup)).toEqual([]);
    expect({ winner: last.winner, reason: last.reason }).toEqual(oracle.outcome());

    live.forEach((socket, i) => {
      const updates = socket.updates();
      expect(updates[updates.length - 1].view).toEqual(finals[i]);
      const seated = Object.hasOwn(roles, socket.userId);
      expect(updates.some((u) => u.view.me !== undefined)).toBe(seated);
    });
    expect(played.outsider.packets.filter((p) => p.event.startsWith('game:'))).toEqual([]);
    expect(played.recordings.flatMap((r) => recordingProblems(r, oracle))).toEqual([]);
    return oracle;
  }

  it.each(GAMES)('%s: nobody learns more than GAME.md lets them', async (_, setup) => {
    const played = await seatedTable(setup);
    await playUntil(played, isOver);
    await verify(played);
    // The driver slipped an evil player onto quest 1, who failed: a fail card stayed secret.
    expect(played.view.quests[0]).toEqual(expect.objectContaining({ result: 'fail' }));
  });

  it('a player who drops mid-game keeps seat and secret; the game goes on while they are away', async () => {
    const played = await seatedTable({
      name: 'drop',
      players: 8,
      roles: { percival: true, oberon: true },
      seed: 8,
      failChance: 0,
    });
    await playUntil(played, (view) => view.phase === 'questing');
    const team = played.view.proposal?.team ?? [];
    // Not the host nor the player with two sockets; not on this quest nor the next leader.
    const leaver = played.players
      .slice(2)
      .map((p) => p.userId)
      .find((id) => !team.includes(id) && id !== played.view.leader) as string;
    const seat = played.view.players.find((p) => p.userId === leaver)?.seat;
    await played.drop(leaver);

    const everyoneElseVoted = (view: GameView) =>
      view.phase === 'voting' && view.proposal?.votesCast.length === view.players.length - 1;
    await playUntil(played, everyoneElseVoted, new Set([leaver]));
    expect(played.view.questIndex).toBe(1);

    expect((await played.resume(leaver)).resumed).toBe(true);
    const back = await played.socketOf(leaver).askOk<GameView>('game:view', {
      roomId: played.roomId,
    });
    expect(back.players).toContainEqual({ userId: leaver, seat });
    expect(back.me).toEqual(played.me.get(leaver));
    expect(back.proposal?.votesCast).not.toContain(leaver);
    expect(back.proposal?.votes).toBeUndefined();

    await playUntil(played, isOver);
    await verify(played);
    // Good won every quest (nobody failed), so the Assassin had the last word.
    expect(played.view.reason).toMatch(/^merlin-(survived|assassinated)$/);
    expect(played.socketOf(leaver).updates().length).toBeGreaterThan(0);
  });
});
