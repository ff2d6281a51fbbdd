import type { Redis } from 'ioredis';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode, type JsonObject, type Member } from '../../common/protocol/index.js';
import { ScriptRegistry } from '../../redis/script-registry.js';
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
import { applyStateOps } from '../state-ops.js';
import { activeRoomsKey, presenceKeys, reaperLeaseKey, userRoomsKey } from './keys.js';
import { PresenceIndexes } from './presence-indexes.js';
import { PRESENCE_SCRIPTS, accepted, parseConn, parseConns } from './scripts.js';
import { StateCache, hashed, type HashedState } from './state-cache.js';
import { isNoScript, toAppError, withDeadline } from '../../common/storage-deadline.js';

export interface RedisPresenceOptions {
  prefix: string;
  /** Deadline of one engine call; past it the caller gets UNAVAILABLE. */
  commandTimeoutMs: number;
}

interface HeartbeatPlan {
  args: (string | number)[];
  base?: HashedState;
  next?: HashedState;
}

/** Heartbeats whose ops were computed on an outdated state are re-applied this often. */
const MAX_STATE_ATTEMPTS = 3;
/** Expired connections removed per room and sweep; the rest wait for the next sweep. */
const SWEEP_MAX_CONNS = 1000;
/** Every this many sweeps, one SCAN step re-indexes rooms missing from the active set. */
const REPAIR_EVERY = 10;

/**
 * Presence in Redis: one Lua script per atomic operation on the keys of one room (one hash
 * slot), then idempotent cross-slot index writes (user → rooms, active rooms) that the
 * reaper and readers repair. State JSON is opaque to Lua: Node applies the ops and the
 * script swaps the state only if the hash it was computed from is still the stored one.
 */
export class RedisPresenceEngine extends PresenceEngine {
  private readonly scripts: ScriptRegistry;
  private readonly states = new StateCache();
  private readonly indexes: PresenceIndexes;
  private sweeps = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisPresenceOptions,
  ) {
    super();
    this.scripts = new ScriptRegistry(redis, PRESENCE_SCRIPTS);
    this.indexes = new PresenceIndexes(redis, options.prefix);
  }

  ready(): Promise<void> {
    return this.guard(() => this.scripts.load());
  }

  close(): Promise<void> {
    this.states.clear();
    return Promise.resolve();
  }

  join(cmd: JoinCommand): Promise<JoinOutcome> {
    return this.guard(async () => {
      const given = hashed(cmd.state ?? {});
      const reply = accepted(
        await this.redis.presenceJoin(
          ...this.roomKeys(cmd.roomId),
          ...[cmd.connId, cmd.userId, cmd.node, cmd.ttlMs, cmd.maxMembers],
          ...[JSON.stringify(given.state), given.hash, cmd.state === undefined ? '1' : '0'],
        ),
      );
      const [, epoch, resumed, expiresAt] = reply.map(Number);
      const conns = parseConns(reply.slice(4));
      const self = conns.find((conn) => conn.member.connId === cmd.connId);
      if (!self) {
        throw new Error('join reply without the joined connection');
      }
      this.states.set(cmd.roomId, cmd.connId, { ...self, state: self.member.state });
      await this.indexes.joined(cmd.userId, cmd.roomId, expiresAt);
      const members = conns.map((conn) => conn.member);
      return { member: { ...self.member }, epoch, resumed: resumed === 1, members, expiresAt };
    });
  }

  heartbeat(cmd: HeartbeatCommand): Promise<HeartbeatOutcome> {
    return this.guard(async () => {
      const plan = this.plan(cmd, this.states.get(cmd.roomId, cmd.connId, cmd.epoch));
      return this.settleHeartbeat(cmd, plan, await this.redis.presenceHeartbeat(...plan.args));
    });
  }

  heartbeatMany(cmds: HeartbeatCommand[]): Promise<(HeartbeatOutcome | Error)[]> {
    return this.guard(async () => {
      const pipeline = this.redis.pipeline();
      const plans = cmds.map((cmd) =>
        this.plan(cmd, this.states.get(cmd.roomId, cmd.connId, cmd.epoch)),
      );
      plans.forEach((plan) => pipeline.presenceHeartbeat(...plan.args));
      const replies = (await pipeline.exec()) ?? [];
      return Promise.all(
        cmds.map(async (cmd, i) => {
          const [err, reply] = replies[i] ?? [new Error('missing pipeline reply')];
          try {
            if (isNoScript(err)) {
              return await this.heartbeat(cmd); // it did not run: once more on its own
            }
            if (err) {
              throw err;
            }
            return await this.settleHeartbeat(cmd, plans[i], reply);
          } catch (failure) {
            return toAppError(failure);
          }
        }),
      );
    });
  }

  leave(ref: ConnRef): Promise<RemovedMember | undefined> {
    return this.guard(async () => {
      const reply = accepted(
        await this.redis.presenceLeave(
          ...this.roomKeys(ref.roomId),
          ...[ref.connId, ref.userId, ref.epoch ?? ''],
        ),
      );
      this.states.delete(ref.roomId, ref.connId);
      if (reply[0] !== 'OK') {
        return undefined;
      }
      const removed = this.removed(ref.roomId, ref.connId, reply[1], reply[2], reply[3]);
      await this.indexes.removed(removed);
      return removed;
    });
  }

  markAway(ref: ConnRef & { epoch: number }): Promise<Member | undefined> {
    return this.guard(async () => {
      const [conns, states] = this.roomKeys(ref.roomId);
      const reply = accepted(
        await this.redis.presenceMarkAway(conns, states, ref.connId, ref.userId, ref.epoch),
      );
      // This socket's session is over either way (away, or superseded elsewhere).
      this.states.delete(ref.roomId, ref.connId);
      if (reply[0] !== 'OK') {
        return undefined;
      }
      return parseConn(ref.connId, reply[1], reply[2]).member;
    });
  }

  list(roomId: string): Promise<Member[]> {
    return this.guard(() => this.listRoom(roomId));
  }

  isPresent(roomId: string, userId: string): Promise<boolean> {
    return this.guard(async () => (await this.listRoom(roomId)).some((m) => m.userId === userId));
  }

  listForUser(userId: string): Promise<{ roomId: string; members: Member[] }[]> {
    return this.guard(async () => {
      const roomIds = await this.redis.smembers(userRoomsKey(this.options.prefix, userId));
      const rooms = await Promise.all(
        roomIds.sort().map(async (roomId) => {
          const members = (await this.listRoom(roomId)).filter((m) => m.userId === userId);
          if (members.length === 0) {
            await this.indexes.dropUserRoom(userId, roomId);
          }
          return { roomId, members };
        }),
      );
      return rooms.filter((room) => room.members.length > 0);
    });
  }

  /** No engine deadline here: connections a sweep already removed must be reported. */
  async sweepExpired(maxRooms: number): Promise<SweepOutcome> {
    try {
      if (this.sweeps++ % REPAIR_EVERY === 0) {
        await this.indexes.repairStep();
      }
      const [sec, usec] = await this.redis.time();
      const now = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
      const roomIds = await this.redis.zrangebyscore(
        activeRoomsKey(this.options.prefix),
        '-inf',
        now,
        'LIMIT',
        0,
        maxRooms,
      );
      const removed = await this.sweepRooms(roomIds);
      return { removed, roomsVisited: roomIds.length };
    } catch (err) {
      throw toAppError(err);
    }
  }

  acquireReaperLease(holder: string, ttlMs: number): Promise<boolean> {
    return this.guard(async () => {
      const reply = await this.redis.reaperLease(
        reaperLeaseKey(this.options.prefix),
        holder,
        ttlMs,
      );
      return reply === 1;
    });
  }

  /** Ops applied to the state this process believes current (none known: the script says). */
  private plan(cmd: HeartbeatCommand, base: HashedState | undefined): HeartbeatPlan {
    const hasOps = cmd.ops.length > 0;
    const next = hasOps && base ? hashed(applyStateOps(base.state, cmd.ops)) : undefined;
    const args = [
      ...this.roomKeys(cmd.roomId).slice(0, 3),
      ...[cmd.connId, cmd.userId, cmd.epoch, cmd.ttlMs, hasOps ? '1' : '0'],
      ...[base?.hash ?? '', next?.hash ?? '', next ? JSON.stringify(next.state) : ''],
    ];
    return { args, base, next };
  }

  /** Turns a heartbeat reply into its outcome, re-applying the ops on a state mismatch. */
  private async settleHeartbeat(
    cmd: HeartbeatCommand,
    firstPlan: HeartbeatPlan,
    firstReply: unknown,
  ): Promise<HeartbeatOutcome> {
    let [plan, reply] = [firstPlan, accepted(firstReply)];
    for (let attempt = 1; reply[0] === 'MISMATCH'; attempt++) {
      if (attempt >= MAX_STATE_ATTEMPTS) {
        throw new AppError(ErrorCode.BUSY, 'state changed concurrently, try again');
      }
      const stored = JSON.parse(String(reply[1])) as JsonObject;
      plan = this.plan(cmd, { state: stored, hash: String(reply[2]) });
      reply = accepted(await this.redis.presenceHeartbeat(...plan.args));
    }
    const [, epoch, changed, expiresAt, , joinedAt, lastSeenAt] = reply.map(Number);
    const stored = typeof reply[8] === 'string' && reply[8] !== '' ? reply[8] : undefined;
    const current = stored
      ? { state: JSON.parse(stored) as JsonObject, hash: String(reply[7]) }
      : (plan.next ?? plan.base);
    if (!current) {
      throw new Error('heartbeat reply without a state');
    }
    this.states.set(cmd.roomId, cmd.connId, { ...current, epoch });
    const member: Member = {
      connId: cmd.connId,
      userId: cmd.userId,
      state: current.state,
      status: String(reply[4]) as Member['status'],
      joinedAt,
      lastSeenAt,
    };
    return { epoch, changed: changed === 1, expiresAt, member };
  }

  private async listRoom(roomId: string): Promise<Member[]> {
    const reply = await this.redis.presenceList(...this.roomKeys(roomId).slice(0, 3));
    return parseConns(accepted(reply)).map((conn) => conn.member);
  }

  /** One sweep script per room in one pipeline, then the cross-slot indexes. */
  private async sweepRooms(roomIds: string[]): Promise<RemovedMember[]> {
    if (roomIds.length === 0) {
      return [];
    }
    const pipeline = this.redis.pipeline();
    roomIds.forEach((roomId) => pipeline.presenceSweep(...this.roomKeys(roomId), SWEEP_MAX_CONNS));
    const replies = (await pipeline.exec()) ?? [];
    const removed: RemovedMember[] = [];
    const indexing: Promise<void>[] = [];
    replies.forEach(([err, reply], i) => {
      if (err || !Array.isArray(reply)) {
        return; // the room stays indexed and is swept next time
      }
      const roomId = roomIds[i];
      for (let j = 1; j + 3 < reply.length; j += 4) {
        const gone = this.removed(roomId, reply[j], reply[j + 1], reply[j + 2], reply[j + 3]);
        this.states.delete(roomId, gone.member.connId);
        removed.push(gone);
        indexing.push(this.indexes.removed(gone));
      }
      indexing.push(this.indexes.reindexRoom(roomId, String(reply[0])));
    });
    // Index writes are best effort: the removals happened and must be reported.
    await Promise.allSettled(indexing);
    return removed;
  }

  private removed(
    roomId: string,
    connId: unknown,
    meta: unknown,
    state: unknown,
    userGone: unknown,
  ): RemovedMember {
    const member = parseConn(connId, meta, state).member;
    return { roomId, member, userGone: userGone === 1, roomEmpty: false };
  }

  private roomKeys(roomId: string): [string, string, string, string] {
    const { conns, states, seen, users } = presenceKeys(this.options.prefix, roomId);
    return [conns, states, seen, users];
  }

  private guard<T>(work: () => Promise<T>): Promise<T> {
    return withDeadline(this.options.commandTimeoutMs, work);
  }
}
