import { Injectable } from '@nestjs/common';
import type { Member } from '@avalon-realtime/client/protocol';
import {
  PresenceEngine,
  byConnId,
  type ConnRef,
  type HeartbeatCommand,
  type HeartbeatOutcome,
  type JoinCommand,
  type JoinOutcome,
  type RemovedMember,
  type SweepOutcome,
} from '../presence.engine.js';
import { presenceRefusal } from '../presence-refusals.js';
import { applyStateOps, sameJson } from '../state-ops.js';
import { MemoryLease } from './memory-lease.js';

interface StoredConn {
  member: Member;
  epoch: number;
  expiresAt: number;
}

/** One room: its connections and, per user, how many of them (the Redis `users` hash). */
interface Room {
  conns: Map<string, StoredConn>;
  users: Map<string, number>;
}

/** Presence for a single process: plain maps, the same rules as the Redis engine. */
@Injectable()
export class MemoryPresenceEngine extends PresenceEngine {
  readonly completesInCall = true;
  private readonly rooms = new Map<string, Room>();
  private readonly reaperLease = new MemoryLease();

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.rooms.clear();
  }

  async join(cmd: JoinCommand): Promise<JoinOutcome> {
    const now = this.now();
    const room: Room = this.rooms.get(cmd.roomId) ?? { conns: new Map(), users: new Map() };
    const existing = room.conns.get(cmd.connId);
    if (existing && existing.member.userId !== cmd.userId) {
      throw presenceRefusal('FORBIDDEN');
    }
    if (!existing) {
      this.assertRoomFor(room, cmd);
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
    room.conns.set(cmd.connId, { member, epoch, expiresAt });
    if (!existing) {
      room.users.set(cmd.userId, (room.users.get(cmd.userId) ?? 0) + 1);
    }
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
    // The stored member never leaves this engine (callers get copies), so it is updated in
    // place: a replacement per heartbeat lives ~10 s, gets promoted and feeds major GCs.
    conn.member.state = state;
    conn.member.lastSeenAt = now;
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
    const conn = room?.conns.get(ref.connId);
    if (!room || !conn) {
      return undefined;
    }
    if (conn.member.userId !== ref.userId) {
      throw presenceRefusal('FORBIDDEN');
    }
    if (ref.epoch !== undefined && ref.epoch !== conn.epoch) {
      return undefined;
    }
    return this.remove(ref.roomId, room, conn);
  }

  async markAway(ref: ConnRef & { epoch: number }): Promise<Member | undefined> {
    const conn = this.rooms.get(ref.roomId)?.conns.get(ref.connId);
    if (
      !conn ||
      conn.member.userId !== ref.userId ||
      conn.epoch !== ref.epoch ||
      conn.member.status === 'away'
    ) {
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
    return this.rooms.get(roomId)?.users.has(userId) ?? false;
  }

  async listForUser(userId: string): Promise<{ roomId: string; members: Member[] }[]> {
    const rooms: { roomId: string; members: Member[] }[] = [];
    for (const [roomId, room] of this.rooms) {
      const members = room.users.has(userId)
        ? this.members(room).filter((m) => m.userId === userId)
        : [];
      if (members.length > 0) {
        rooms.push({ roomId, members });
      }
    }
    return rooms.sort((a, b) => (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0));
  }

  async sweepExpired(maxRooms: number): Promise<SweepOutcome> {
    const now = this.now();
    const removed: RemovedMember[] = [];
    let roomsVisited = 0;
    for (const [roomId, room] of this.rooms) {
      // Every room is looked at each tick: no allocation for the (usual) room with none due.
      if (!hasExpired(room, now)) {
        continue;
      }
      if (++roomsVisited > maxRooms) {
        break;
      }
      for (const conn of [...room.conns.values()]) {
        if (conn.expiresAt <= now) {
          removed.push(this.remove(roomId, room, conn));
        }
      }
    }
    return { removed, roomsVisited: Math.min(roomsVisited, maxRooms) };
  }

  async acquireReaperLease(holder: string, ttlMs: number): Promise<boolean> {
    return this.reaperLease.acquire(holder, ttlMs, this.now());
  }

  /** Room for one more connection of `cmd.userId`: within both limits. */
  private assertRoomFor(room: Room, cmd: JoinCommand): void {
    const held = room.users.get(cmd.userId) ?? 0;
    if (held === 0 && room.users.size >= cmd.maxMembers) {
      throw presenceRefusal('ROOM_FULL');
    }
    if (held >= cmd.maxConnsPerUser) {
      throw presenceRefusal('USER_FULL');
    }
  }

  private fenced(cmd: HeartbeatCommand): StoredConn {
    const conn = this.rooms.get(cmd.roomId)?.conns.get(cmd.connId);
    if (!conn || conn.expiresAt <= this.now()) {
      throw presenceRefusal('NOT_JOINED');
    }
    if (conn.member.userId !== cmd.userId) {
      throw presenceRefusal('FORBIDDEN');
    }
    if (conn.epoch !== cmd.epoch) {
      throw presenceRefusal('STALE_EPOCH', conn.epoch);
    }
    return conn;
  }

  private remove(roomId: string, room: Room, conn: StoredConn): RemovedMember {
    const { connId, userId } = conn.member;
    room.conns.delete(connId);
    const left = (room.users.get(userId) ?? 1) - 1;
    if (left > 0) {
      room.users.set(userId, left);
    } else {
      room.users.delete(userId);
    }
    if (room.conns.size === 0) {
      this.rooms.delete(roomId);
    }
    return {
      roomId,
      member: { ...conn.member },
      userGone: left <= 0,
      roomEmpty: room.conns.size === 0,
    };
  }

  /** Unexpired members: an expired connection the reaper has not swept yet is already gone. */
  private members(room: Room): Member[] {
    const now = this.now();
    const live = [...room.conns.values()].filter((c) => c.expiresAt > now);
    return byConnId(live.map((c) => ({ ...c.member })));
  }
}

function hasExpired(room: Room, now: number): boolean {
  for (const conn of room.conns.values()) {
    if (conn.expiresAt <= now) {
      return true;
    }
  }
  return false;
}
