/**
 * The Avalon game on the wire (GAME.md): roles, phases, the per-player view and the request
 * payloads. The server sends only views; every hidden fact stays on the server.
 */

/** Wire names of the roles. Good: merlin, percival, servant; evil: the others. */
export type GameRole =
  'merlin' | 'percival' | 'servant' | 'assassin' | 'morgana' | 'mordred' | 'oberon' | 'minion';

/** The roles a host may add at `game:create`; Merlin and the Assassin are always dealt. */
export type OptionalRole = 'percival' | 'morgana' | 'mordred' | 'oberon';

export type GameSide = 'good' | 'evil';

export type GamePhase = 'lobby' | 'proposing' | 'voting' | 'questing' | 'assassinating' | 'over';

/** Why a game is over: the winning condition, or `abandoned` by the host (no winner). */
export type GameOverReason =
  'merlin-survived' | 'merlin-assassinated' | 'three-fails' | 'five-rejections' | 'abandoned';

export type RoleOptions = Partial<Record<OptionalRole, boolean>>;

export interface GamePlayer {
  userId: string;
  /** 0–9; "clockwise" is the next higher occupied seat, wrapping. */
  seat: number;
}

export interface GameQuest {
  /** Team size of this quest. */
  size: number;
  /** With 7 or more players quest 4 fails only with 2 or more fail cards. */
  twoFailsNeeded: boolean;
  result?: 'success' | 'fail';
  /** Number of fail cards played; never who played them. */
  fails?: number;
}

export interface GameProposal {
  leader: string;
  team: string[];
  /** Who has voted so far (seat order); what they voted stays sealed until all are in. */
  votesCast: string[];
  /** Present only once every seated player has voted. */
  votes?: Record<string, boolean>;
}

export interface GameSight {
  userId: string;
  as: 'evil' | 'merlin-or-morgana';
}

/** The caller's own secret: present only for a seated player once roles are dealt. */
export interface GameMe {
  role: GameRole;
  side: GameSide;
  sees: GameSight[];
}

/** What one player (or spectator) may know of a game: `game:view` and `game:update`. */
export interface GameView {
  roomId: string;
  gameId: string;
  /** Rises by one with every change (and keeps rising across games in a room). */
  version: number;
  phase: GamePhase;
  host: string;
  /** Seated players in seat order. */
  players: GamePlayer[];
  /** The current leader; null in the lobby. */
  leader: string | null;
  /** Index (0–4) of the current quest, or of the last one played once the quests are done. */
  questIndex: number;
  /** Rejected proposals in a row for the current quest. */
  rejections: number;
  /** The five quests; empty in the lobby (sizes depend on the player count). */
  quests: GameQuest[];
  /** The current (or last voted) proposal, kept until the next one. */
  proposal?: GameProposal;
  /** Team members who have played a card on the current (or last) quest. */
  questPlayed?: string[];
  me?: GameMe;
  winner?: GameSide;
  reason?: GameOverReason;
  /** Everyone's role: only once the game is over. */
  roles?: Record<string, GameRole>;
}

export interface GameRoomRequest {
  roomId: string;
}

export interface GameCreateRequest extends GameRoomRequest {
  roles?: RoleOptions;
}

export interface GameSitRequest extends GameRoomRequest {
  /** 0–9; omitted: the lowest free seat (a seated player keeps theirs). */
  seat?: number;
}

export type GameStandRequest = GameRoomRequest;
export type GameStartRequest = GameRoomRequest;
export type GameViewRequest = GameRoomRequest;
export type GameEndRequest = GameRoomRequest;

export interface GameProposeRequest extends GameRoomRequest {
  team: string[];
}

export interface GameVoteRequest extends GameRoomRequest {
  approve: boolean;
}

export interface GameQuestRequest extends GameRoomRequest {
  success: boolean;
}

export interface GameAssassinateRequest extends GameRoomRequest {
  target: string;
}

/** Pushed to each socket after every change, with that socket's own view. */
export interface GameUpdate {
  roomId: string;
  version: number;
  view: GameView;
}
