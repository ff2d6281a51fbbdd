import type { RedisClient } from '../../redis/redis-client.js';
import type { Member } from '@avalon-realtime/client/protocol';
import { ScriptRegistry } from '../../redis/script-registry.js';
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
import { DONE_LIFETIME_FACTOR, newRequestId, untilDefinite } from './in-doubt.js';
import {
  presenceDoneKey,
  presenceKeyList,
  presenceKeys,
  reaperLeaseKey,
  userRoomsKey,
} from './keys.js';
import { PresenceIndexes } from './presence-indexes.js';
import { RedisHeartbeats } from './redis-heartbeats.js';
import { RedisPresenceSweep } from './redis-presence-sweep.js';
import { parseConn, parseConns, presenceReply, scriptReply } from './replies.js';
import { PRESENCE_SCRIPTS } from './scripts.js';
import { StateCache, hashed } from './state-cache.js';
import type { Deadline } from '../../common/deadline.js';
import { withDeadline } from '../../common/storage-deadline.js';

export interface RedisPresenceOptions {
  prefix: string;
  /** Deadline of one engine call; past it the caller gets UNAVAILABLE. */
  commandTimeoutMs: number;
}

/** A sweep may wait for one reconnect to learn what a lost reply removed. */
const SWEEP_DEADLINE_FACTOR = 2;

/**
 * Presence in Redis: one Lua script per atomic operation on the keys of one room (one hash
 * slot), then idempotent cross-slot index writes (user → rooms, active rooms) that the
 * reaper and readers repair. Writes carry a request id, so a call whose reply was lost is
 * sent again and answered once (see in-doubt.ts). Heartbeats and the sweep live apart.
 */
export class RedisPresenceEngine extends PresenceEngine {
  readonly completesInCall = false;
  private readonly scripts: ScriptRegistry;
  private readonly states = new StateCache();
  private readonly indexes: PresenceIndexes;
  private readonly heartbeats: RedisHeartbeats;
  private readonly sweep: RedisPresenceSweep;
  private readonly doneTtlMs: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: RedisPresenceOptions,
  ) {
    super();
    const { prefix, commandTimeoutMs } = options;
    this.doneTtlMs = commandTimeoutMs * DONE_LIFETIME_FACTOR;
    this.scripts = new ScriptRegistry(redis, PRESENCE_SCRIPTS);
    this.indexes = new PresenceIndexes(redis, prefix);
    this.heartbeats = new RedisHeartbeats(redis, prefix, this.states, this.doneTtlMs);
    this.sweep = new RedisPresenceSweep(redis, prefix, this.states, this.indexes, this.doneTtlMs);
  }

  ready(): Promise<void> {
    return this.guard((d) => this.definite(d, () => this.scripts.load()));
  }

  close(): Promise<void> {
    this.states.clear();
    return Promise.resolve();
  }

  join(cmd: JoinCommand): Promise<JoinOutcome> {
    return this.guard(async (d) => {
      const given = hashed(cmd.state ?? {});
      const args = [
        ...this.writeKeys(cmd.roomId),
        ...[cmd.connId, cmd.userId, cmd.node, cmd.ttlMs, cmd.maxMembers, cmd.maxConnsPerUser],
        ...[JSON.stringify(given.state), given.hash, cmd.state === undefined ? '1' : '0'],
        this.doneTtlMs,
      ];
      const { body } = presenceReply(
        await this.definite(d, () => this.redis.presenceJoin(...args)),
      );
      const [epoch, resumed, expiresAt] = body.map(Number);
      const conns = parseConns(body.slice(3));
      const self = conns.find((conn) => conn.member.connId === cmd.connId);
      if (!self) {
        throw new Error('join reply without the joined connection');
      }
      this.states.set(cmd.roomId, cmd.connId, self.member.state, self.hash, self.epoch);
      await this.definite(d, () => this.indexes.joined(cmd.userId, cmd.roomId, expiresAt));
      const members = byConnId(conns.map((conn) => conn.member));
      return { member: { ...self.member }, epoch, resumed: resumed === 1, members, expiresAt };
    });
  }

  heartbeat(cmd: HeartbeatCommand, deadline?: Deadline): Promise<HeartbeatOutcome> {
    return this.guard((d) => this.heartbeats.one(cmd, d), deadline);
  }

  heartbeatMany(cmds: HeartbeatCommand[]): Promise<(HeartbeatOutcome | Error)[]> {
    return this.guard((d) => this.heartbeats.many(cmds, d));
  }

  leave(ref: ConnRef): Promise<RemovedMember | undefined> {
    return this.guard(async (d) => {
      const args = [...this.writeKeys(ref.roomId), ref.connId, ref.userId, ref.epoch ?? ''];
      const reply = presenceReply(
        await this.definite(d, () => this.redis.presenceLeave(...args, this.doneTtlMs)),
      );
      this.states.delete(ref.roomId, ref.connId);
      if (reply.status !== 'OK') {
        return undefined;
      }
      const [meta, state, userGone, roomEmpty] = reply.body;
      const removed: RemovedMember = {
        roomId: ref.roomId,
        member: parseConn(ref.connId, meta, state).member,
        userGone: userGone === 1,
        roomEmpty: roomEmpty === 1,
      };
      await this.definite(d, () => this.indexes.removed(removed));
      return removed;
    });
  }

  markAway(ref: ConnRef & { epoch: number }): Promise<Member | undefined> {
    return this.guard(async (d) => {
      const { conns, states, seen } = presenceKeys(this.options.prefix, ref.roomId);
      const done = presenceDoneKey(this.options.prefix, ref.roomId, newRequestId());
      const args = [conns, states, seen, done, ref.connId, ref.userId, ref.epoch, this.doneTtlMs];
      const reply = presenceReply(
        await this.definite(d, () => this.redis.presenceMarkAway(...args)),
      );
      // This socket's session is over either way (away, or superseded elsewhere).
      this.states.delete(ref.roomId, ref.connId);
      if (reply.status !== 'OK') {
        return undefined;
      }
      return parseConn(ref.connId, reply.body[0], reply.body[1]).member;
    });
  }

  list(roomId: string): Promise<Member[]> {
    return this.guard((d) => this.listRoom(d, roomId));
  }

  isPresent(roomId: string, userId: string): Promise<boolean> {
    const { users } = presenceKeys(this.options.prefix, roomId);
    return this.guard(
      async (d) => (await this.definite(d, () => this.redis.hexists(users, userId))) === 1,
    );
  }

  listForUser(userId: string): Promise<{ roomId: string; members: Member[] }[]> {
    return this.guard(async (d) => {
      const key = userRoomsKey(this.options.prefix, userId);
      const roomIds = await this.definite(d, () => this.redis.smembers(key));
      const rooms = await Promise.all(
        roomIds.sort().map(async (roomId) => {
          const members = (await this.listRoom(d, roomId)).filter((m) => m.userId === userId);
          if (members.length === 0) {
            await this.indexes.dropUserRoom(userId, roomId);
          }
          return { roomId, members };
        }),
      );
      return rooms.filter((room) => room.members.length > 0);
    });
  }

  /** A longer deadline: removals a lost reply reported are recovered after a reconnect. */
  sweepExpired(maxRooms: number): Promise<SweepOutcome> {
    const deadlineMs = this.options.commandTimeoutMs * SWEEP_DEADLINE_FACTOR;
    return withDeadline(deadlineMs, (d) => this.sweep.sweepExpired(maxRooms, d));
  }

  acquireReaperLease(holder: string, ttlMs: number): Promise<boolean> {
    const lease = reaperLeaseKey(this.options.prefix);
    return this.guard(async (d) => {
      const reply = await this.definite(d, () => this.redis.reaperLease(lease, holder, ttlMs));
      return scriptReply(reply).status === 'OK';
    });
  }

  private async listRoom(d: Deadline, roomId: string): Promise<Member[]> {
    const keys = presenceKeyList(this.options.prefix, roomId).slice(0, 3);
    const reply = presenceReply(await this.definite(d, () => this.redis.presenceList(...keys)));
    return byConnId(parseConns(reply.body).map((conn) => conn.member));
  }

  /** The room's keys and a fresh `done` key: the KEYS of a write script. */
  private writeKeys(roomId: string): string[] {
    const done = presenceDoneKey(this.options.prefix, roomId, newRequestId());
    return [...presenceKeyList(this.options.prefix, roomId), done];
  }

  private definite<T>(deadline: Deadline, call: () => Promise<T>): Promise<T> {
    return untilDefinite(this.redis, deadline, call);
  }

  private guard<T>(work: (deadline: Deadline) => Promise<T>, outer?: Deadline): Promise<T> {
    return withDeadline(this.options.commandTimeoutMs, work, outer);
  }
}
