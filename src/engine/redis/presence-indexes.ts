import type { Redis } from 'ioredis';
import { masters, type RedisClient } from '../../redis/redis-client.js';
import type { RemovedMember } from '../presence.engine.js';
import {
  activeRoomsKey,
  presenceKeys,
  roomIdFromSeenKey,
  seenKeyPattern,
  userRoomsKey,
} from './keys.js';

const REPAIR_SCAN_COUNT = 100;

/**
 * The cross-slot presence indexes: user → rooms, and the active rooms by earliest expiry.
 * Written after each atomic room script, idempotently; each removal re-checks the room so
 * a join that slipped in between is never lost, and a repair pass re-adds rooms the
 * active set lost (a crash between the script and the index write).
 */
export class PresenceIndexes {
  /** Each master's SCAN cursor, by host:port. */
  private readonly repairCursors = new Map<string, string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /**
   * Two plain calls rather than a pipeline of its own: auto-pipelining sends them with the
   * other calls of the tick, and a join allocates no ioredis Pipeline.
   */
  async joined(userId: string, roomId: string, expiresAt: number): Promise<void> {
    await Promise.all([
      this.redis.sadd(userRoomsKey(this.prefix, userId), roomId),
      this.redis.zadd(activeRoomsKey(this.prefix), 'LT', expiresAt, roomId),
    ]);
  }

  async removed(removed: RemovedMember): Promise<void> {
    if (removed.userGone) {
      await this.dropUserRoom(removed.member.userId, removed.roomId);
    }
  }

  /** The room's next expiry in the active set, or out of it when empty. */
  async reindexRoom(roomId: string, nextExpiry: string): Promise<void> {
    const active = activeRoomsKey(this.prefix);
    if (nextExpiry !== '') {
      await this.redis.zadd(active, nextExpiry, roomId);
      return;
    }
    await this.redis.zrem(active, roomId);
    const first = await this.firstExpiry(presenceKeys(this.prefix, roomId).seen);
    if (first) {
      await this.redis.zadd(active, 'NX', first, roomId);
    }
  }

  /** Drops a room from a user's index unless the user is (again) in it. */
  async dropUserRoom(userId: string, roomId: string): Promise<void> {
    const key = userRoomsKey(this.prefix, userId);
    await this.redis.srem(key, roomId);
    if ((await this.redis.hexists(presenceKeys(this.prefix, roomId).users, userId)) === 1) {
      await this.redis.sadd(key, roomId);
    }
  }

  /**
   * One bounded SCAN step on every master (keys live on the master of their slot): rooms
   * with connections but no active-set entry get one.
   */
  async repairStep(): Promise<void> {
    const keys = (await Promise.all(masters(this.redis).map((node) => this.scanStep(node)))).flat();
    const rooms = keys.flatMap((key) => {
      const roomId = roomIdFromSeenKey(this.prefix, key);
      return roomId ? [{ key, roomId }] : [];
    });
    const firsts = await Promise.all(rooms.map(({ key }) => this.firstExpiry(key)));
    const missing = rooms.flatMap(({ roomId }, i) => (firsts[i] ? [[firsts[i], roomId]] : []));
    if (missing.length > 0) {
      await this.redis.zadd(activeRoomsKey(this.prefix), 'NX', ...missing.flat());
    }
  }

  /** The next SCAN step of one master, from where its last step ended. */
  private async scanStep(node: Redis): Promise<string[]> {
    const { host, port } = node.options;
    const at = `${host}:${port}`;
    const [cursor, keys] = await node.scan(
      this.repairCursors.get(at) ?? '0',
      'MATCH',
      seenKeyPattern(this.prefix),
      'COUNT',
      REPAIR_SCAN_COUNT,
    );
    this.repairCursors.set(at, cursor);
    return keys;
  }

  private async firstExpiry(seenKey: string): Promise<string | undefined> {
    const [, score] = await this.redis.zrange(seenKey, 0, '0', 'WITHSCORES');
    return score;
  }
}
