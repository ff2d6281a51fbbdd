import type { GameMe, GameView } from '@avalon-realtime/client/protocol';
import type { LeakTable } from './game-leak-table.js';

/** More steps than any game can take (5 quests × 5 proposals × 3 steps, plus the assassin). */
const MAX_STEPS = 100;
const APPROVE_CHANCE = 0.6;
/** Players stop rejecting after this many rejections in a row: a fifth hands evil the game. */
const CAUTIOUS_AFTER = 3;

export const isOver = (view: GameView): boolean => view.phase === 'over';

/**
 * The players play, each from what their own view tells them, until `done(view)`: leaders
 * propose, everyone votes, team members play cards (evil ones fail now and then), the
 * Assassin names someone. Players in `away` do nothing.
 */
export async function playUntil(
  table: LeakTable,
  done: (view: GameView) => boolean,
  away: ReadonlySet<string> = new Set(),
): Promise<void> {
  for (let steps = 0; !done(table.view); steps++) {
    if (isOver(table.view) || steps > MAX_STEPS) {
      throw new Error(`${table.roomId}: stopped at ${table.view.phase} before the goal`);
    }
    await step(table, away);
  }
}

async function step(table: LeakTable, away: ReadonlySet<string>): Promise<void> {
  const view = table.view;
  switch (view.phase) {
    case 'proposing':
      return propose(table, view);
    case 'voting':
      return vote(table, view, away);
    case 'questing':
      return playCards(table, view);
    case 'assassinating':
      return assassinate(table, view);
    case 'lobby':
    case 'over':
      throw new Error(`${table.roomId}: nothing to play in phase ${view.phase}`);
  }
}

async function propose(table: LeakTable, view: GameView): Promise<void> {
  const leader = view.leader as string;
  const size = view.quests[view.questIndex].size;
  const team = pickTeam(table, view, size);
  // Table talk: non-game packets that must not carry a secret either.
  await table.socketOf(leader).askOk('room:message', {
    roomId: table.roomId,
    type: 'chat',
    data: { text: `my team for quest ${view.questIndex + 1}` },
  });
  await table.send(leader, 'game:propose', { team });
}

/**
 * A random team; on quest 1 of a game where evil fails, the driver slips an evil player in, so
 * that every such game has a fail card to keep secret (see playCards).
 */
function pickTeam(table: LeakTable, view: GameView, size: number): string[] {
  const everyone = table.shuffle(view.players.map((p) => p.userId));
  if (table.setup.failChance === 0 || view.questIndex > 0) {
    return everyone.slice(0, size);
  }
  const evil = everyone.find((id) => secretOf(table, id).side === 'evil') as string;
  return [evil, ...everyone.filter((id) => id !== evil)].slice(0, size);
}

/** The spectator tries to vote first (refused); then every player who has not, at once. */
async function vote(table: LeakTable, view: GameView, away: ReadonlySet<string>): Promise<void> {
  const refused = await table.spectator.ask('game:vote', { roomId: table.roomId, approve: true });
  if (refused.ok || refused.error.code !== 'FORBIDDEN') {
    throw new Error(`a spectator's vote was answered ${JSON.stringify(refused)}`);
  }
  const cast = new Set(view.proposal?.votesCast);
  const voters = view.players.map((p) => p.userId).filter((id) => !cast.has(id) && !away.has(id));
  const cautious = view.rejections >= CAUTIOUS_AFTER;
  const ballots = voters.map((id) => [id, cautious || table.rng.next() < APPROVE_CHANCE] as const);
  await Promise.all(ballots.map(([id, approve]) => table.send(id, 'game:vote', { approve })));
}

async function playCards(table: LeakTable, view: GameView): Promise<void> {
  const played = new Set(view.questPlayed);
  const members = (view.proposal?.team ?? []).filter((id) => !played.has(id));
  const cards = members.map((id) => [id, !failsNow(table, id)] as const);
  await Promise.all(cards.map(([id, success]) => table.send(id, 'game:quest', { success })));
}

/** An evil player fails their first quest (when the game lets evil fail), later ones by lot. */
function failsNow(table: LeakTable, userId: string): boolean {
  const { failChance } = table.setup;
  if (secretOf(table, userId).side === 'good' || failChance === 0) {
    return false;
  }
  const fails = !table.evilWhoQuested.has(userId) || table.rng.next() < failChance;
  table.evilWhoQuested.add(userId);
  return fails;
}

/** The Assassin names someone they do not know to be evil. */
async function assassinate(table: LeakTable, view: GameView): Promise<void> {
  const [assassin] = [...table.me].find(([, me]) => me.role === 'assassin') ?? [];
  if (assassin === undefined) {
    throw new Error(`${table.roomId}: nobody was told they are the Assassin`);
  }
  const known = new Set([assassin, ...secretOf(table, assassin).sees.map((s) => s.userId)]);
  const targets = view.players.map((p) => p.userId).filter((id) => !known.has(id));
  await table.send(assassin, 'game:assassinate', {
    target: targets[table.rng.int(targets.length)],
  });
}

function secretOf(table: LeakTable, userId: string): GameMe {
  const me = table.me.get(userId);
  if (!me) {
    throw new Error(`${userId} never got their own role`);
  }
  return me;
}
