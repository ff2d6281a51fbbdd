import type { GameState, SeatedPlayer } from './game-state.js';

export const findPlayer = (state: GameState, userId: string): SeatedPlayer | undefined =>
  state.players.find((player) => player.userId === userId);

export const isSeated = (state: GameState, userId: string): boolean =>
  findPlayer(state, userId) !== undefined;

/** The player at the next higher occupied seat, wrapping ("clockwise"). */
export function nextClockwise(state: GameState, userId: string): string {
  const index = state.players.findIndex((player) => player.userId === userId);
  return state.players[(index + 1) % state.players.length].userId;
}

/** A copy with `players` sorted by seat. */
export function withPlayers(state: GameState, players: SeatedPlayer[]): GameState {
  return { ...state, players: [...players].sort((a, b) => a.seat - b.seat) };
}

/** The lowest seat nobody holds, or undefined when all are taken. */
export function lowestFreeSeat(state: GameState, seats: number): number | undefined {
  const taken = new Set(state.players.map((player) => player.seat));
  for (let seat = 0; seat < seats; seat++) {
    if (!taken.has(seat)) {
      return seat;
    }
  }
  return undefined;
}
