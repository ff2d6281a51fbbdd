import type { ChannelRef } from '@avalon-realtime/client/protocol';

/**
 * Every Redis key of the Redis engines is built here and nowhere else. Per-room keys
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

/** The room keys in the order every presence script takes them as KEYS. */
export function presenceKeyList(prefix: string, roomId: string): [string, string, string, string] {
  const { conns, states, seen, users } = presenceKeys(prefix, roomId);
  return [conns, states, seen, users];
}

/**
 * String holding the reply of one write request to a room (in its slot), so a request
 * sent again after a lost reply is answered from it instead of running twice.
 */
export const presenceDoneKey = (prefix: string, roomId: string, requestId: string): string =>
  `${prefix}:${roomTag(roomId)}:done:${requestId}`;

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

/** The keys of one metadata channel, all in the slot of `{chan:<type>:<name>}`. */
export interface ChannelKeys {
  /** hash: `major` → majorRevision, `i:<key>` → item JSON (opaque to Lua). */
  meta: string;
  /** hash lockName → `{"owner","token","expiresAt"}`; a lapsed lock stays until swept. */
  locks: string;
  /** string: the channel's fencing counter, seeded from time. */
  fence: string;
}

const channelTag = (channel: ChannelRef): string =>
  `{chan:${channel.channelType}:${channel.channelName}}`;

export function channelKeys(prefix: string, channel: ChannelRef): ChannelKeys {
  const base = `${prefix}:${channelTag(channel)}`;
  return { meta: `${base}:meta`, locks: `${base}:locks`, fence: `${base}:fence` };
}

/**
 * String: the stored reply of one lock request that changed something, so the request run
 * again after a lost reply answers the same (in-doubt writes, see in-doubt.ts).
 */
export const channelDoneKey = (prefix: string, channel: ChannelRef, requestId: string): string =>
  `${prefix}:${channelTag(channel)}:done:${requestId}`;

/** Zset of every lock (cross-slot) → its expiresAt: what the lock sweep visits. */
export const lockExpiryKey = (prefix: string): string => `${prefix}:locks`;

/** A lock as a member of `lockExpiryKey`: JSON, so no name can be mistaken for another. */
export const lockExpiryMember = (channel: ChannelRef, lockName: string): string =>
  JSON.stringify([channel.channelType, channel.channelName, lockName]);

/** The channel and lock of a `lockExpiryMember`, or undefined for anything else. */
export function parseLockExpiryMember(
  member: string,
): { channel: ChannelRef; lockName: string } | undefined {
  const [channelType, channelName, lockName] = jsonTuple(member, 3) ?? [];
  if (
    (channelType !== 'room' && channelType !== 'user') ||
    typeof channelName !== 'string' ||
    typeof lockName !== 'string'
  ) {
    return undefined;
  }
  return { channel: { channelType, channelName }, lockName };
}

/** The keys of one room's game, in the room's slot. */
export interface GameKeys {
  /** hash: `version`, `state` (GameState JSON), `deadline` (epoch ms or ''). */
  game: string;
  /** String: the reply of one write request, so the write sent again answers the same. */
  done: (requestId: string) => string;
}

export function gameKeys(prefix: string, roomId: string): GameKeys {
  const base = `${prefix}:${roomTag(roomId)}:game`;
  return { game: base, done: (requestId) => `${base}:done:${requestId}` };
}

/** Zset of turn deadlines (cross-slot): member gameTurnMember → deadline (ms). */
export const gameDeadlinesKey = (prefix: string): string => `${prefix}:game:deadlines`;

export const gameTimerLeaseKey = (prefix: string): string => `${prefix}:game:timer-lease`;

/** A turn as a member of `gameDeadlinesKey`: JSON, so no roomId can be mistaken for another. */
export const gameTurnMember = (roomId: string, version: number): string =>
  JSON.stringify([roomId, version]);

/** The turn of a `gameTurnMember`, or undefined for anything else. */
export function parseGameTurnMember(
  member: string,
): { roomId: string; version: number } | undefined {
  const [roomId, version] = jsonTuple(member, 2) ?? [];
  return typeof roomId === 'string' && Number.isSafeInteger(version)
    ? { roomId, version: version as number }
    : undefined;
}

/** A zset member written as a JSON array of `length` items, or undefined for anything else. */
function jsonTuple(member: string, length: number): unknown[] | undefined {
  try {
    const parsed: unknown = JSON.parse(member);
    return Array.isArray(parsed) && parsed.length === length ? parsed : undefined;
  } catch {
    return undefined;
  }
}
