import type {
  GameOverReason,
  GamePhase,
  GameQuest,
  GameRole,
  GameSide,
  OptionalRole,
} from '@avalon-realtime/client/protocol';

/**
 * Everything the server knows about one game, hidden facts included (roles, sealed votes,
 * quest cards by player). Only `viewFor` turns it into something a player may see.
 * Per-player facts live in arrays, never in objects keyed by userId: a userId such as
 * `__proto__` or `constructor` is a valid resource id.
 * Plain JSON data, so a store can keep it as it is.
 */
export interface GameState {
  roomId: string;
  gameId: string;
  /** Rises by one with every change; a new game in the room continues the old one's count. */
  version: number;
  phase: GamePhase;
  host: string;
  /** The optional roles chosen at create. */
  options: Record<OptionalRole, boolean>;
  /** Seated players in seat order; `role` is set when the game starts. */
  players: SeatedPlayer[];
  /** Null in the lobby. */
  leader: string | null;
  questIndex: number;
  rejections: number;
  /** Empty in the lobby; five quests from the start. */
  quests: GameQuest[];
  /** The current proposal, or the last one voted on, until the next proposal. */
  proposal?: ProposalState;
  /** The cards played on the current (or last) quest, by player: secret. */
  questCards?: QuestCard[];
  winner?: GameSide;
  reason?: GameOverReason;
  /** Whom the Assassin named (or nothing if the game did not get there). */
  assassinTarget?: string;
}

export interface SeatedPlayer {
  userId: string;
  seat: number;
  role?: GameRole;
}

export interface ProposalState {
  leader: string;
  team: string[];
  /** Sealed until every seated player has voted; in the order cast. */
  votes: Vote[];
}

export interface Vote {
  userId: string;
  approve: boolean;
}

export interface QuestCard {
  userId: string;
  success: boolean;
}
