import { sendEach, type RedisClient } from '../../redis/redis-client.js';
import type { RemovedMember, SweepOutcome } from '../presence.engine.js';
import type { Deadline } from '../../common/deadline.js';
import { isInDoubt, newRequestId, untilDefinite } from './in-doubt.js';
import { activeRoomsKey, presenceDoneKey, presenceKeyList } from './keys.js';
import type { PresenceIndexes } from './presence-indexes.js';
import { inRuns, parseConn, presenceReply, redisTimeMs } from './replies.js';
import type { StateCache } from './state-cache.js';

/** Expired connections removed per room and sweep; the rest wait for the next sweep. */
const SWEEP_MAX_CONNS = 1000;
/** Every this many sweeps, one SCAN step re-indexes rooms missing from the active set. */
const REPAIR_EVERY = 10;

/**
 * The sweep schedule: rooms whose earliest expiry has passed (on the Redis clock) are swept
 * by one script each, pipelined; every few sweeps a repair step re-indexes rooms the
 * active set lost. A room whose reply was lost is asked again with the same request id, so
 * its removals are reported once even then.
 */
export class RedisPresenceSweep {
  private sweeps = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly states: StateCache,
    private readonly indexes: PresenceIndexes,
    private readonly doneTtlMs: number,
  ) {}

  async sweepExpired(maxRooms: number, deadline: Deadline): Promise<SweepOutcome> {
    if (this.sweeps++ % REPAIR_EVERY === 0) {
      await untilDefinite(this.redis, deadline, () => this.indexes.repairStep());
    }
    const now = redisTimeMs(await untilDefinite(this.redis, deadline, () => this.redis.time()));
    const roomIds = await untilDefinite(this.redis, deadline, () =>
      this.redis.zrangebyscore(activeRoomsKey(this.prefix), '-inf', now, 'LIMIT', 0, maxRooms),
    );
    const removed = await this.sweepRooms(roomIds, deadline);
    return { removed, roomsVisited: roomIds.length };
  }

  /** One sweep script per room (one pipeline per master), then the cross-slot indexes. */
  private async sweepRooms(roomIds: string[], deadline: Deadline): Promise<RemovedMember[]> {
    if (roomIds.length === 0) {
      return [];
    }
    const requestId = newRequestId();
    const calls = roomIds.map((roomId) => [
      ...presenceKeyList(this.prefix, roomId),
      presenceDoneKey(this.prefix, roomId, requestId),
      SWEEP_MAX_CONNS,
      this.doneTtlMs,
    ]);
    const replies = await sendEach(
      this.redis,
      calls.map((args) => (target) => target.presenceSweep(...args)),
    );
    const settled = await Promise.all(
      replies.map(async ([err, reply], i) => {
        if (isInDoubt(err)) {
          return untilDefinite(this.redis, deadline, () =>
            this.redis.presenceSweep(...calls[i]),
          ).catch(() => undefined);
        }
        return err ? undefined : reply; // a failed room stays indexed: swept next time
      }),
    );
    const removed: RemovedMember[] = [];
    const indexing: Promise<void>[] = [];
    settled.forEach((reply, i) => {
      if (reply === undefined) {
        return;
      }
      const { body } = presenceReply(reply);
      const [nextExpiry, roomEmpty] = body;
      const gone = inRuns(body.slice(2), 4).map(([connId, meta, state, userGone], j, all) => ({
        roomId: roomIds[i],
        member: parseConn(connId, meta, state).member,
        userGone: userGone === 1,
        roomEmpty: roomEmpty === 1 && j === all.length - 1,
      }));
      for (const entry of gone) {
        this.states.delete(entry.roomId, entry.member.connId);
        indexing.push(this.indexes.removed(entry));
      }
      removed.push(...gone);
      indexing.push(this.indexes.reindexRoom(roomIds[i], String(nextExpiry)));
    });
    // Index writes are best effort: the removals happened and must be reported.
    await Promise.allSettled(indexing);
    return removed;
  }
}
