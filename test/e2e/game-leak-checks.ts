import type { Ack, GameMe, GameUpdate, GameView } from '@avalon-realtime/client/protocol';
import type { GameOracle } from './game-leak-oracle.js';
import type { Packet, RecordedSocket } from './game-leak-recorder.js';
import { FAILED_ACK, ROLE_NAMES, shapeProblems, UPDATE, VIEW_ACK } from './game-leak-shapes.js';

/** Anywhere in a non-game packet: nothing there has any business naming a role. */
const ROLE_WORD = new RegExp(ROLE_NAMES.join('|'), 'i');
/** As a whole string (a value or a key): `assassinating` or `merlin-survived` are no leak. */
const ROLE_STRING = new RegExp(`"(${ROLE_NAMES.join('|')})"`, 'i');

/** Key-order-free JSON, so two values compare by content. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

const differs = (a: unknown, b: unknown) => canonical(a) !== canonical(b);

/** A `me` with its sights in a fixed order (GAME.md does not fix theirs). */
const sortedMe = (me: GameMe | undefined) =>
  me && { ...me, sees: [...me.sees].sort((a, b) => a.userId.localeCompare(b.userId)) };

/**
 * Every problem in what one socket received: packets checked one by one against the shapes
 * and the oracle, then its game:update versions. Empty when nothing leaked.
 */
export function recordingProblems(recording: RecordedSocket, oracle: GameOracle): string[] {
  const problems = recording.packets.flatMap((packet, i) =>
    packetProblems(packet, recording.userId, oracle).map(
      (problem) => `${recording.name} packet ${i} (${packet.kind} ${packet.event}): ${problem}`,
    ),
  );
  return [...problems, ...versionProblems(recording)];
}

function packetProblems(packet: Packet, viewer: string, oracle: GameOracle): string[] {
  if (!packet.event.startsWith('game:')) {
    return ROLE_WORD.test(packet.json) ? [`a role name outside the game: ${packet.json}`] : [];
  }
  if (packet.kind === 'push') {
    const update = JSON.parse(packet.json) as GameUpdate;
    if (packet.event !== 'game:update') {
      return [`a game push GAME.md does not name`];
    }
    const shape = shapeProblems(update, UPDATE, 'update');
    if (shape.length > 0) {
      return shape;
    }
    const consistent =
      update.version === update.view.version && update.roomId === update.view.roomId;
    return [
      ...(consistent ? [] : ['update and view disagree']),
      ...viewProblems(update.view, viewer, oracle),
    ];
  }
  const ack = JSON.parse(packet.json) as Ack<GameView>;
  const shape = shapeProblems(ack, ack.ok ? VIEW_ACK : FAILED_ACK, 'ack');
  return shape.length > 0 || !ack.ok ? shape : viewProblems(ack.data, viewer, oracle);
}

/** What `viewer` may see in `view`, per GAME.md, against what the oracle says happened. */
export function viewProblems(view: GameView, viewer: string, oracle: GameOracle): string[] {
  return [
    ...meProblems(view, viewer, oracle),
    ...rolesProblems(view, oracle),
    ...proposalProblems(view, oracle),
    ...questProblems(view, oracle),
    ...publicWordProblems(view),
  ];
}

function meProblems(view: GameView, viewer: string, oracle: GameOracle): string[] {
  const expected = view.phase === 'lobby' ? undefined : oracle.expectedMe(viewer);
  return differs(sortedMe(view.me), sortedMe(expected))
    ? [`me ${canonical(view.me)}, expected ${canonical(expected)} for ${viewer}`]
    : [];
}

function rolesProblems(view: GameView, oracle: GameOracle): string[] {
  if ((view.roles !== undefined) !== (view.phase === 'over')) {
    return [`roles ${view.roles ? 'shown' : 'missing'} in phase ${view.phase}`];
  }
  return view.roles && differs(view.roles, oracle.roles) ? ['roles other than the deal'] : [];
}

function proposalProblems(view: GameView, oracle: GameOracle): string[] {
  const facts = oracle.proposalAt(view.version);
  const shown = view.proposal;
  if (facts === undefined || shown === undefined) {
    return facts === shown ? [] : [`proposal ${shown ? 'nobody made' : 'missing'}`];
  }
  const problems: string[] = [];
  if (shown.leader !== facts.leader || differs(shown.team, facts.team)) {
    problems.push('a team other than the one proposed');
  }
  if (
    differs(
      shown.votesCast,
      oracle.seated.filter((id) => facts.votes.has(id)),
    )
  ) {
    problems.push(`votesCast ${canonical(shown.votesCast)} is not who voted`);
  }
  if (!oracle.allVoted(facts)) {
    return shown.votes === undefined ? problems : [...problems, 'votes before all were cast'];
  }
  return differs(shown.votes, Object.fromEntries(facts.votes))
    ? [...problems, `votes ${canonical(shown.votes)} are not what players sent`]
    : problems;
}

function questProblems(view: GameView, oracle: GameOracle): string[] {
  if (view.phase === 'lobby') {
    return view.quests.length === 0 ? [] : ['quests in the lobby'];
  }
  const problems = view.quests.length === 5 ? [] : ['not five quests'];
  view.quests.forEach((quest, i) => {
    const expected = oracle.questAt(i, view.version);
    if (differs(quest, expected)) {
      problems.push(`quest ${i + 1} ${canonical(quest)}, cards played say ${canonical(expected)}`);
    }
  });
  const played = oracle.questPlayedAt(view.version);
  return differs(view.questPlayed ?? null, played ?? null)
    ? [...problems, `questPlayed ${canonical(view.questPlayed)}, expected ${canonical(played)}`]
    : problems;
}

/** Role names belong in `me` and `roles` only. */
function publicWordProblems(view: GameView): string[] {
  const rest: Partial<GameView> = { ...view };
  delete rest.me;
  delete rest.roles;
  return ROLE_STRING.test(JSON.stringify(rest)) ? ['a role name in the public part'] : [];
}

/** game:update versions strictly increasing, all of one game. */
function versionProblems(recording: RecordedSocket): string[] {
  const updates = recording.updates();
  return updates.flatMap((update, i) => {
    const before = updates[i - 1];
    if (!before || (update.version > before.version && update.view.gameId === before.view.gameId)) {
      return [];
    }
    return [`${recording.name}: update ${update.version} after ${before.version}`];
  });
}
