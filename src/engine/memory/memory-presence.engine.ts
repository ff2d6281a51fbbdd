import { Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode, type Member } from '../../common/protocol/index.js';
import {
  PresenceEngine,
  type ConnRef,
  type HeartbeatCommand,
  type HeartbeatOutcome,
  type JoinCommand,
  type JoinOutcome,
  type RemovedMember,
  type SweepOutcome,
} from '../presence.engine.js';
import { applyStateOps, sameJson } from '../state-ops.js';

interface StoredConn {
  member: Member;
  epoch: number;
  expiresAt: number;
}

/** Presence for a single process: plain maps, the same rules as the Redis engine. */
@Injectable()
export class MemoryPresenceEngine extends PresenceEngine {
  private readonly rooms = new Map<string, Map<string, StoredConn>>();
  private leaseHolder?: { holder: string; until: number };

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.rooms.clear();
  }

  async join(cmd: JoinCommand): Promise<JoinOutcome> {
    const now = this.now();
    const room = this.rooms.get(cmd.roomId) ?? new Map<string, StoredConn>();
    const existing = room.get(cmd.connId);
    if (existing && existing.member.userId !== cmd.userId) {
      throw new AppError(ErrorCode.FORBIDDEN, 'connId belongs to another user');
    }
    if (!existing && !this.hasUser(room, cmd.userId) && this.userCount(room) >= cmd.maxMembers) {
      throw new AppError(ErrorCode.ROOM_FULL, 'room is full');
    }
    const epoch = existing ? Math.max(existing.epoch + 1, now) : now;
    const member: Member = {
      connId: cmd.connId,
      userId: cmd.userId,
      state: cmd.state ?? existing?.member.state ?? {},
      status: 'online',
      joinedAt: existing?.member.joinedAt ?? now,
      lastSeenAt: now,
    };
    const expiresAt = now + cmd.ttlMs;
    room.set(cmd.connId, { member, epoch, expiresAt });
    this.rooms.set(cmd.roomId, room);
    return {
      member: { ...member },
      epoch,
      resumed: !!existing,
      members: this.members(room),
      expiresAt,
    };
  }

  async heartbeat(cmd: HeartbeatCommand): Promise<HeartbeatOutcome> {
    const conn = this.fenced(cmd);
    const now = this.now();
    const state = applyStateOps(conn.member.state, cmd.ops);
    const changed = !sameJson(state, conn.member.state);
    conn.member = { ...conn.member, state, lastSeenAt: now };
    conn.expiresAt = now + cmd.ttlMs;
    return { epoch: conn.epoch, changed, expiresAt: conn.expiresAt, member: { ...conn.member } };
  }

  async heartbeatMany(cmds: HeartbeatCommand[]): Promise<(HeartbeatOutcome | Error)[]> {
    const results: (HeartbeatOutcome | Error)[] = [];
    for (const cmd of cmds) {
      results.push(await this.heartbeat(cmd).catch((err: Error) => err));
    }
    return results;
  }

  async leave(ref: ConnRef): Promise<RemovedMember | undefined> {
    const room = this.rooms.get(ref.roomId);
    const conn = room?.get(ref.connId);
    if (!room || !conn) {
      return undefined;
    }
    if (conn.member.userId !== ref.userId) {
      throw new AppError(ErrorCode.FORBIDDEN, 'connId belongs to another user');
    }
    if (ref.epoch !== undefined && ref.epoch !== conn.epoch) {
      return undefined;
    }
    return this.remove(ref.roomId, room, conn);
  }

  async markAway(ref: ConnRef & { epoch: number }): Promise<Member | undefined> {
    const conn = this.rooms.get(ref.roomId)?.get(ref.connId);
    if (!conn || conn.epoch !== ref.epoch || conn.member.status === 'away') {
      return undefined;
    }
    conn.member = { ...conn.member, status: 'away' };
    return { ...conn.member };
  }

  async list(roomId: string): Promise<Member[]> {
    const room = this.rooms.get(roomId);
    return room ? this.members(room) : [];
  }

  async isPresent(roomId: string, userId: string): Promise<boolean> {
    const room = this.rooms.get(roomId);
    return room ? this.members(room).some((member) => member.userId === userId) : false;
  }

  async listForUser(userId: string): Promise<{ roomId: string; members: Member[] }[]> {
    const rooms: { roomId: string; members: Member[] }[] = [];
    for (const [roomId, room] of this.rooms) {
      const members = this.members(room).filter((m) => m.userId === userId);
      if (members.length > 0) {
        rooms.push({ roomId, members });
      }
    }
    return rooms;
  }

  async sweepExpired(maxRooms: number): Promise<SweepOutcome> {
    const now = this.now();
    const removed: RemovedMember[] = [];
    let roomsVisited = 0;
    for (const [roomId, room] of this.rooms) {
      const expired = [...room.values()].filter((conn) => conn.expiresAt <= now);
      if (expired.length === 0) {
        continue;
      }
      if (++roomsVisited > maxRooms) {
        break;
      }
      for (const conn of expired) {
        removed.push(this.remove(roomId, room, conn));
      }
    }
    return { removed, roomsVisited: Math.min(roomsVisited, maxRooms) };
  }

  async acquireReaperLease(holder: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    if (this.leaseHolder && this.leaseHolder.until > now && this.leaseHolder.holder !== holder) {
      return false;
    }
    this.leaseHolder = { holder, until: now + ttlMs };
    return true;
  }

  private fenced(cmd: HeartbeatCommand): StoredConn {
    const conn = this.rooms.get(cmd.roomId)?.get(cmd.connId);
    if (!conn || conn.expiresAt <= this.now()) {
      throw new AppError(ErrorCode.NOT_JOINED, 'not joined: join the room again');
    }
    if (conn.member.userId !== cmd.userId) {
      throw new AppError(ErrorCode.FORBIDDEN, 'connId belongs to another user');
    }
    if (conn.epoch !== cmd.epoch) {
      throw new AppError(ErrorCode.STALE_EPOCH, 'a newer session of this connId exists', {
        epoch: conn.epoch,
      });
    }
    return conn;
  }

  private remove(roomId: string, room: Map<string, StoredConn>, conn: StoredConn): RemovedMember {
    room.delete(conn.member.connId);
    if (room.size === 0) {
      this.rooms.delete(roomId);
    }
    return {
      roomId,
      member: { ...conn.member },
      userGone: !this.hasUser(room, conn.member.userId),
      roomEmpty: room.size === 0,
    };
  }

  /** Unexpired members: an expired connection the reaper has not swept yet is already gone. */
  private members(room: Map<string, StoredConn>): Member[] {
    const now = this.now();
    return [...room.values()].filter((c) => c.expiresAt > now).map((c) => ({ ...c.member }));
  }

  private hasUser(room: Map<string, StoredConn>, userId: string): boolean {
    return [...room.values()].some((conn) => conn.member.userId === userId);
  }

  private userCount(room: Map<string, StoredConn>): number {
    return new Set([...room.values()].map((conn) => conn.member.userId)).size;
  }
}
