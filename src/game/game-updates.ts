import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ServerEvent, type GameUpdate, type GameView } from '@avalon-realtime/client/protocol';
import { roomChannel } from '../socket/channels.js';
import { RealtimeEvents } from '../socket/realtime-events.js';
import type { AppSocket } from '../socket/socket-types.js';
import type { GameState } from './rules/game-state.js';
import { viewFor } from './rules/views.js';

const GAME_CHANGED = 'game:changed';
/** Versions kept per socket before those of rooms it left are dropped. */
const PRUNE_ABOVE = 16;

/**
 * `game:update` after every change: the state travels to every process (inside the
 * cluster only), and each process sends each of its sockets in the room that socket's
 * own view. A socket never gets an older version after a newer one, whichever process
 * wrote them.
 */
@Injectable()
export class GameUpdates implements OnModuleInit {
  constructor(private readonly events: RealtimeEvents) {}

  onModuleInit(): void {
    this.events.onOtherProcesses(GAME_CHANGED, (state) =>
      this.events.toEachLocalInRoom(state.roomId, ServerEvent.GameUpdate, viewsOf(state)),
    );
  }

  announce(state: GameState): void {
    this.events.toOtherProcesses(GAME_CHANGED, state);
    this.events.toEachInRoom(state.roomId, ServerEvent.GameUpdate, viewsOf(state));
  }
}

/** Each socket's update for `state`: its user's view (computed once per user), or null. */
function viewsOf(state: GameState): (socket: AppSocket) => GameUpdate | null {
  const views = new Map<string, GameView>();
  return (socket) => {
    if (!takesVersion(socket, state)) {
      return null;
    }
    const userId = socket.data.userId;
    let view = views.get(userId);
    if (!view) {
      view = viewFor(state, userId);
      views.set(userId, view);
    }
    return { roomId: state.roomId, version: state.version, view };
  };
}

/** Whether `state` is newer than what the socket has had of the room's game; records it. */
function takesVersion(socket: AppSocket, state: GameState): boolean {
  const seen = (socket.data.gameVersions ??= new Map<
    string,
    { gameId: string; version: number }
  >());
  const last = seen.get(state.roomId);
  if (last && last.gameId === state.gameId && last.version >= state.version) {
    return false;
  }
  seen.set(state.roomId, { gameId: state.gameId, version: state.version });
  if (seen.size > PRUNE_ABOVE) {
    // A socket hopping through rooms must not keep one entry per room it ever saw.
    for (const roomId of seen.keys()) {
      if (!socket.rooms.has(roomChannel(roomId))) {
        seen.delete(roomId);
      }
    }
  }
  return true;
}
