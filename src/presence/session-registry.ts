import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '@avalon-realtime/client/protocol';
import { PresenceEngine } from '../engine/presence.engine.js';
import { roomChannel } from '../socket/channels.js';
import { RealtimeEvents } from '../socket/realtime-events.js';
import {
  joinedKey,
  type AppSocket,
  type JoinedConn,
  type SessionEnd,
} from '../socket/socket-types.js';
import { covers, SessionFences } from './session-fences.js';

const SESSION_END = 'presence:session-end';
/** Superseded sessions a socket remembers (oldest forgotten first): enough for any client. */
const MAX_SUPERSEDED = 64;

type SessionRef = Pick<JoinedConn, 'roomId' | 'connId' | 'epoch'>;

/**
 * Which local sockets hold which presence sessions, so that room events follow the session:
 * a socket is in `room:<roomId>` exactly while it holds a live session there. A session
 * that ends anywhere (leave, disconnect, expiry, a newer join of its connId) is dropped
 * from its socket on every process, before the change is announced.
 */
@Injectable()
export class SessionRegistry {
  /** joinedKey → the local sockets holding a session of that connection. */
  private readonly holders = new Map<string, Set<AppSocket>>();
  private readonly fences = new SessionFences();

  constructor(
    private readonly events: RealtimeEvents,
    private readonly engine: PresenceEngine,
  ) {
    events.onOtherProcesses(SESSION_END, (end) => this.endHere(end));
  }

  /** Taken by a join before it calls storage; see hold(). */
  mark(): number {
    return this.fences.mark();
  }

  /**
   * Records the session on its (connected) socket and puts the socket in the room, unless
   * an end heard since `mark` covers it. A newer session the socket already holds is kept.
   */
  hold(socket: AppSocket, session: JoinedConn, mark: number): void {
    const key = joinedKey(session.roomId, session.connId);
    if (this.fences.endedSince(mark, key, session)) {
      return;
    }
    const held = socket.data.joined.get(key);
    if (!held || held.epoch <= session.epoch) {
      socket.data.joined.set(key, session);
      socket.data.superseded?.delete(key);
    }
    const sockets = this.holders.get(key) ?? new Set<AppSocket>();
    this.holders.set(key, sockets.add(socket));
    void socket.join(roomChannel(session.roomId));
  }

  /**
   * Ends sessions on every process: here at once, elsewhere through the adapter, which
   * delivers it before any broadcast this process sends afterwards.
   */
  end(end: SessionEnd): void {
    this.endHere(end);
    this.events.toOtherProcesses(SESSION_END, end);
  }

  /**
   * A heartbeat refreshes only a session this socket holds (storage then fences its
   * epoch). Not held: the connection is gone or this socket never joined it (NOT_JOINED:
   * join again with the same connId, which resumes it when it is still there), the connId
   * is another user's (FORBIDDEN), or a newer session took this socket's one over
   * (STALE_EPOCH: stop using it).
   */
  holds(socket: AppSocket, ref: SessionRef): boolean {
    return socket.data.joined.has(joinedKey(ref.roomId, ref.connId));
  }

  /** Why a socket does not hold `ref` (see holds): always rejects, with that AppError. */
  async refuseUnheld(socket: AppSocket, ref: SessionRef): Promise<never> {
    const key = joinedKey(ref.roomId, ref.connId);
    const member = (await this.engine.list(ref.roomId)).find((m) => m.connId === ref.connId);
    if (member && member.userId !== socket.data.userId) {
      throw new AppError(ErrorCode.FORBIDDEN, 'connId belongs to another user');
    }
    if (member && socket.data.superseded?.has(key)) {
      throw new AppError(ErrorCode.STALE_EPOCH, 'a newer session of this connId exists');
    }
    throw new AppError(ErrorCode.NOT_JOINED, 'not joined on this socket: join the room again');
  }

  /**
   * Self-healing, for an end this process was not told of: storage refused the session's
   * heartbeat as over, so its socket stops hearing the room. Rethrows `err`.
   */
  refused(socket: AppSocket, ref: SessionRef, err: unknown): never {
    const code = err instanceof AppError ? err.code : undefined;
    const key = joinedKey(ref.roomId, ref.connId);
    if (code === ErrorCode.STALE_EPOCH && socket.data.joined.get(key)?.epoch === ref.epoch) {
      this.supersede(socket, key);
    }
    if (code === ErrorCode.STALE_EPOCH || code === ErrorCode.NOT_JOINED) {
      this.forget(socket, ref.roomId, ref.connId, ref.epoch);
    }
    throw err;
  }

  /** Drops one session of this socket (only the one at `epoch`, when given). */
  forget(socket: AppSocket, roomId: string, connId: string, epoch?: number): void {
    const held = socket.data.joined.get(joinedKey(roomId, connId));
    if (held && (epoch === undefined || held.epoch === epoch)) {
      this.drop(socket, held);
    }
  }

  /** Drops every session of a socket that disconnected, and returns them. */
  release(socket: AppSocket): JoinedConn[] {
    const sessions = [...(socket.data.joined?.values() ?? [])];
    for (const session of sessions) {
      this.drop(socket, session);
    }
    return sessions;
  }

  private endHere(end: SessionEnd): void {
    const key = joinedKey(end.roomId, end.connId);
    this.fences.record(key, end);
    for (const socket of [...(this.holders.get(key) ?? [])]) {
      const held = socket.data.joined.get(key);
      if (held && covers(end, held)) {
        if (end.kind === 'superseded') {
          this.supersede(socket, key);
        }
        this.drop(socket, held);
      }
    }
  }

  /** Remembers that a newer session took this socket's one, so its heartbeats are stale. */
  private supersede(socket: AppSocket, key: string): void {
    const superseded = (socket.data.superseded ??= new Set());
    superseded.add(key);
    if (superseded.size > MAX_SUPERSEDED) {
      superseded.delete(superseded.values().next().value as string);
    }
  }

  /** The socket leaves the room once it holds no other session there. */
  private drop(socket: AppSocket, session: JoinedConn): void {
    const key = joinedKey(session.roomId, session.connId);
    socket.data.joined.delete(key);
    const sockets = this.holders.get(key);
    sockets?.delete(socket);
    if (sockets?.size === 0) {
      this.holders.delete(key);
    }
    const stillThere = [...socket.data.joined.values()].some((s) => s.roomId === session.roomId);
    if (!stillThere) {
      void socket.leave(roomChannel(session.roomId));
    }
  }
}
