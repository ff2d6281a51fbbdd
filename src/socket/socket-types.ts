import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '@avalon-realtime/client/protocol';
import type { GameState } from '../game/rules/game-state.js';

/** A presence connection this socket joined, and the session (epoch) it holds. */
export interface JoinedConn {
  roomId: string;
  connId: string;
  epoch: number;
  /**
   * When the connection began. A resume keeps it and a new connection of the same connId
   * starts later, so it tells this connection from any later one of the same connId.
   */
  joinedAt: number;
}

export interface SocketData {
  /** The client's address as the per-IP limits count it (TRUST_PROXY applied). */
  clientIp: string;
  userId: string;
  /** `exp` (epoch seconds) of the token in force: the handshake's, or the last `auth:refresh`'s. */
  tokenExp: number;
  /** The sessions this socket holds, keyed by joinedKey(roomId, connId). */
  joined: Map<string, JoinedConn>;
  /** Sessions of this socket that a newer session took over (joinedKey); made when needed. */
  superseded?: Set<string>;
  /** The newest game version sent to this socket, by roomId; made when needed. */
  gameVersions?: Map<string, { gameId: string; version: number }>;
}

/**
 * Sessions of one connId that ended, as every process hears of it:
 * - `removed`: the connection that began at `joinedAt` left or expired; its sessions,
 *   and any of an earlier connection of that connId, are over.
 * - `superseded`: a join took the connId to `epoch`; every session below it is over.
 */
export type SessionEnd = { roomId: string; connId: string } & (
  { kind: 'removed'; joinedAt: number } | { kind: 'superseded'; epoch: number }
);

/** Events between server processes (Socket.IO serverSideEmit through the adapter). */
export interface InterServerEvents {
  'presence:session-end': (end: SessionEnd) => void;
  /** A game changed: each process sends its own sockets in the room their own views. */
  'game:changed': (state: GameState) => void;
}

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
