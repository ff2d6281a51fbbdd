import type { RoleOptions } from '@avalon-realtime/client/protocol';
import type { GameState } from './game-state.js';

/**
 * What a player (or the turn timer) asks of a game. The actor travels beside the action:
 * the gateway takes it from the authenticated socket, never from the payload.
 */
export type GameAction =
  | { type: 'create'; roomId: string; roles?: RoleOptions }
  | { type: 'sit'; seat?: number }
  | { type: 'stand' }
  | { type: 'start' }
  | { type: 'propose'; team: string[] }
  | { type: 'vote'; approve: boolean }
  | { type: 'quest'; success: boolean }
  | { type: 'assassinate'; target: string }
  | { type: 'end' }
  /**
   * The turn timer's default action for the phase that was waiting at `version`; refused if
   * the game has moved on. Only the server's timer sends it: no request maps to it.
   */
  | { type: 'timeout'; version: number };

export type GameActionType = GameAction['type'];

/** The rule-breaking subset of the wire error codes (GAME.md). */
export type RuleErrorCode = 'FORBIDDEN' | 'BAD_REQUEST' | 'NOT_FOUND';

export interface RuleError {
  code: RuleErrorCode;
  /** Names the rule that was broken. */
  message: string;
}

export type ApplyResult = { state: GameState } | { error: RuleError };

export const forbidden = (message: string): { error: RuleError } => ({
  error: { code: 'FORBIDDEN', message },
});

export const badRequest = (message: string): { error: RuleError } => ({
  error: { code: 'BAD_REQUEST', message },
});

export const notFound = (message: string): { error: RuleError } => ({
  error: { code: 'NOT_FOUND', message },
});
