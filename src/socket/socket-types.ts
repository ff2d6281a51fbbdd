import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../common/protocol/index.js';

/** A presence connection this socket joined, and the session (epoch) it holds. */
export interface JoinedConn {
  roomId: string;
  connId: string;
  epoch: number;
}

export interface SocketData {
  userId: string;
  /** `exp` (epoch seconds) of the token in force: the handshake's, or the last `auth:refresh`'s. */
  tokenExp: number;
  /** Keyed by joinedKey(roomId, connId). */
  joined: Map<string, JoinedConn>;
}

export type InterServerEvents = Record<string, never>;

export type AppServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type AppSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

export const joinedKey = (roomId: string, connId: string): string => `${roomId}\u0000${connId}`;
