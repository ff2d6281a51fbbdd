import type { GameUpdate, GameView } from '@avalon-realtime/client/protocol';
import {
  connect,
  nextEvent,
  record,
  request,
  requestOk,
  type TestSocket,
} from '../support/client.js';
import { join } from './presence-helpers.js';

/** One user at the table: their socket (on one of the servers) and every update it got. */
export interface Seat {
  userId: string;
  socket: TestSocket;
  updates: GameUpdate[];
}

export const gameOk = (socket: TestSocket, event: string, payload: Record<string, unknown>) =>
  requestOk<GameView>(socket, event, payload);

export const gameRequest = (socket: TestSocket, event: string, payload: Record<string, unknown>) =>
  request<GameView>(socket, event, payload);

/**
 * `users` connected round-robin to `urls` and present in `roomId` (connId `<user>-c`),
 * recording their game updates. The caller closes the sockets.
 */
export async function playersIn(urls: string[], roomId: string, users: string[]): Promise<Seat[]> {
  return Promise.all(
    users.map(async (userId, i) => {
      const socket = await connect(urls[i % urls.length], userId);
      const updates = record<GameUpdate>(socket, 'game:update');
      await join(socket, { roomId, connId: `${userId}-c` });
      return { userId, socket, updates };
    }),
  );
}

/** Resolves once the socket has had an update of `roomId` at `version` or later. */
export function untilVersion(seat: Seat, roomId: string, version: number): Promise<GameUpdate> {
  const had = seat.updates.find((u) => u.roomId === roomId && u.version >= version);
  return had
    ? Promise.resolve(had)
    : nextEvent<GameUpdate>(
        seat.socket,
        'game:update',
        (u) => u.roomId === roomId && u.version >= version,
        10_000,
      );
}

/** The newest view each seat was sent of `roomId`. */
export const lastViews = (seats: Seat[], roomId: string): GameView[] =>
  seats.map((seat) => seat.updates.filter((u) => u.roomId === roomId).at(-1)?.view as GameView);

/** The host creates a game, everyone sits (in order) and the host starts it: views by user. */
export async function startedGame(
  seats: Seat[],
  roomId: string,
  roles: Record<string, boolean> = {},
): Promise<Map<string, GameView>> {
  const [host] = seats;
  await gameOk(host.socket, 'game:create', { roomId, roles });
  for (const seat of seats) {
    await gameOk(seat.socket, 'game:sit', { roomId });
  }
  const started = await gameOk(host.socket, 'game:start', { roomId });
  await Promise.all(seats.map((seat) => untilVersion(seat, roomId, started.version)));
  const views = new Map<string, GameView>();
  for (const seat of seats) {
    views.set(seat.userId, await gameOk(seat.socket, 'game:view', { roomId }));
  }
  return views;
}

/** The seat of `userId`. */
export const seatOf = (seats: Seat[], userId: string): Seat => {
  const seat = seats.find((s) => s.userId === userId);
  if (!seat) {
    throw new Error(`${userId} is not at this table`);
  }
  return seat;
};
