/**
 * Every Redis key of the presence engine is built here and nowhere else. Per-room keys
 * share the hash tag `{room:<roomId>}` so one script can touch them all in one slot.
 */
export interface PresenceRoomKeys {
  /** hash connId → meta JSON (userId, epoch, status, joinedAt, lastSeenAt, stateHash, node). */
  conns: string;
  /** hash connId → state JSON, exactly as Node serialized it. */
  states: string;
  /** zset connId → expiresAt (ms): the reaper's index. */
  seen: string;
  /** hash userId → number of that user's connections in the room. */
  users: string;
}

const roomTag = (roomId: string): string => `{room:${roomId}}`;

export function presenceKeys(prefix: string, roomId: string): PresenceRoomKeys {
  const base = `${prefix}:${roomTag(roomId)}`;
  return {
    conns: `${base}:conns`,
    states: `${base}:states`,
    seen: `${base}:seen`,
    users: `${base}:users`,
  };
}

/** Set of roomIds where the user has connections (cross-slot, repaired on read). */
export const userRoomsKey = (prefix: string, userId: string): string =>
  `${prefix}:user:${userId}:rooms`;

/** Zset roomId → earliest expiry: the rooms the reaper visits. */
export const activeRoomsKey = (prefix: string): string => `${prefix}:rooms`;

export const reaperLeaseKey = (prefix: string): string => `${prefix}:reaper:lease`;

/** Characters with a meaning in a SCAN MATCH glob. */
const GLOB_SPECIAL = /[*?[\]\\]/g;

/** SCAN MATCH pattern finding every room's `seen` zset (the repair pass of the reaper). */
export const seenKeyPattern = (prefix: string): string =>
  `${prefix.replace(GLOB_SPECIAL, '\\$&')}:{room:*}:seen`;

/** The roomId of a key matched by `seenKeyPattern`, or undefined for any other key. */
export function roomIdFromSeenKey(prefix: string, key: string): string | undefined {
  const head = `${prefix}:{room:`;
  const tail = '}:seen';
  if (!key.startsWith(head) || !key.endsWith(tail) || key.length <= head.length + tail.length) {
    return undefined;
  }
  return key.slice(head.length, -tail.length);
}
