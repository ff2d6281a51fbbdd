import type {
  GameMe,
  GameOverReason,
  GamePlayer,
  GameQuest,
  GameRole,
  GameSide,
} from '@avalon-realtime/client/protocol';
import { sideOfRole } from '../support/game-rules.js';
import { KNOWLEDGE, TEAM_SIZES } from '../support/game-tables.js';
import type { Sent } from './game-leak-table.js';

export interface ProposalFacts {
  /** The version the proposal was made at. */
  version: number;
  leader: string;
  team: string[];
  /** The votes cast on it so far, as the players sent them. */
  votes: Map<string, boolean>;
}

/**
 * What every view of a game should say at a given version, worked out from two things only:
 * the roles revealed at the end and the requests the players sent (each with the version
 * its ack carried). GAME.md's tables are the test's own copies, never the engine's.
 */
export class GameOracle {
  /** Seated players in seat order. */
  readonly seated: string[];
  private readonly proposals: Sent[];
  private readonly votes: Sent[];
  private readonly cards: Sent[];

  constructor(
    private readonly sent: readonly Sent[],
    readonly roles: Readonly<Record<string, GameRole>>,
    players: readonly GamePlayer[],
  ) {
    this.seated = [...players].sort((a, b) => a.seat - b.seat).map((p) => p.userId);
    const ofEvent = (event: string) =>
      [...sent].filter((s) => s.event === event).sort((a, b) => a.version - b.version);
    this.proposals = ofEvent('game:propose');
    this.votes = ofEvent('game:vote');
    this.cards = ofEvent('game:quest');
  }

  /** The `me` GAME.md's knowledge rules give `userId`; none for someone not seated. */
  expectedMe(userId: string): GameMe | undefined {
    if (!Object.hasOwn(this.roles, userId)) {
      return undefined;
    }
    const role = this.roles[userId];
    const sees = this.seated.flatMap((other) => {
      const as = other === userId ? undefined : KNOWLEDGE[role][this.roles[other]];
      return as === undefined ? [] : [{ userId: other, as }];
    });
    return { role, side: sideOfRole(role), sees };
  }

  /** The latest proposal made by `version`, with the votes cast on it by then. */
  proposalAt(version: number): ProposalFacts | undefined {
    const made = this.proposals.filter((p) => p.version <= version).at(-1);
    if (made === undefined) {
      return undefined;
    }
    const cast = this.votes.filter((v) => v.version > made.version && v.version <= version);
    return {
      version: made.version,
      leader: made.actor,
      team: made.payload.team as string[],
      votes: new Map(cast.map((v) => [v.actor, v.payload.approve as boolean])),
    };
  }

  allVoted(proposal: ProposalFacts): boolean {
    return proposal.votes.size === this.seated.length;
  }

  /** Quest `index` at `version`: its result and fail count once every member has played. */
  questAt(index: number, version: number): GameQuest {
    const size = TEAM_SIZES[this.seated.length][index];
    const twoFailsNeeded = index === 3 && this.seated.length >= 7;
    const played = this.cards.filter((c) => c.questIndex === index && c.version <= version);
    if (played.length < size) {
      return { size, twoFailsNeeded };
    }
    const fails = played.filter((c) => c.payload.success === false).length;
    const result = fails >= (twoFailsNeeded ? 2 : 1) ? 'fail' : 'success';
    return { size, twoFailsNeeded, result, fails };
  }

  /** Who of the approved team has played by `version`, in team order; none before approval. */
  questPlayedAt(version: number): string[] | undefined {
    const proposal = this.proposalAt(version);
    if (proposal === undefined || !this.allVoted(proposal)) {
      return undefined;
    }
    const approvals = [...proposal.votes.values()].filter(Boolean).length;
    if (approvals * 2 <= this.seated.length) {
      return undefined;
    }
    const played = new Set(
      this.cards
        .filter((c) => c.version > proposal.version && c.version <= version)
        .map((c) => c.actor),
    );
    return proposal.team.filter((id) => played.has(id));
  }

  /** How the game should have ended, given what was played. */
  outcome(): { winner: GameSide; reason: GameOverReason } {
    const failed = [0, 1, 2, 3, 4].filter((i) => this.questAt(i, Infinity).result === 'fail');
    if (failed.length >= 3) {
      return { winner: 'evil', reason: 'three-fails' };
    }
    const shot = this.sent.find((s) => s.event === 'game:assassinate');
    if (shot === undefined) {
      return { winner: 'evil', reason: 'five-rejections' };
    }
    return this.roles[shot.payload.target as string] === 'merlin'
      ? { winner: 'evil', reason: 'merlin-assassinated' }
      : { winner: 'good', reason: 'merlin-survived' };
  }
}
