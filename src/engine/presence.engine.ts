import type { Deadline } from '../common/deadline.js';
import type { JsonObject, Member } from '@avalon-realtime/client/protocol';

/** One change to a connection's state, applied in order by `heartbeat`. */
export type StateOp = { state: JsonObject } | { statePatch: JsonObject };

export interface JoinCommand {
  roomId: string;
  connId: string;
  userId: string;
  /** The state to store; undefined keeps the stored state on a resume, `{}` on a first join. */
  state?: JsonObject;
  /** This process, recorded with the connection. */
  node: string;
  ttlMs: number;
  maxMembers: number;
  /** Connections one user may hold in the room; a new connId beyond it: ROOM_FULL. */
  maxConnsPerUser: number;
}

export interface JoinOutcome {
  member: Member;
  epoch: number;
  resumed: boolean;
  /** Every member of the room after the join, this one included, in `byConnId` order. */
  members: Member[];
  expiresAt: number;
}

export interface HeartbeatCommand {
  roomId: string;
  connId: string;
  userId: string;
  epoch: number;
  /** State changes in the order they were sent (several when a batch coalesced them). */
  ops: StateOp[];
  ttlMs: number;
}

export interface HeartbeatOutcome {
  epoch: number;
  /** Whether the state's value changed (key order does not count). */
  changed: boolean;
  expiresAt: number;
  /** The member after the heartbeat; announced as one `update` when `changed`. */
  member: Member;
}

/** Which connection to act on, and (when fenced) the session that may do so. */
export interface ConnRef {
  roomId: string;
  connId: string;
  userId: string;
  /** When given, the operation applies only while this is still the current epoch. */
  epoch?: number;
}

export interface RemovedMember {
  roomId: string;
  member: Member;
  /** True when this was the user's last connection in the room (the user is no longer present). */
  userGone: boolean;
  /** True when the room has no connection left (its room channel's retention starts). */
  roomEmpty: boolean;
}

export interface SweepOutcome {
  removed: RemovedMember[];
  /** Rooms visited in this call. */
  roomsVisited: number;
}

/**
 * Presence storage: connections per room, fenced by a per-connection epoch, expiring
 * after a TTL without heartbeat. Every method is one atomic unit; engines return what
 * changed and never emit. Errors are AppError: FORBIDDEN (connId of another user),
 * ROOM_FULL, NOT_JOINED, STALE_EPOCH, UNAVAILABLE (storage unreachable in time).
 * Member lists are ordered by connId (`byConnId`) and rooms by roomId, on every engine.
 */
export abstract class PresenceEngine {
  /**
   * Whether every call has done its work by the time it returns (in-process storage): a
   * caller then needs no deadline, and calls apply in the order they were made.
   */
  abstract readonly completesInCall: boolean;

  /** Ready to serve (scripts loaded); awaited before readiness turns green. */
  abstract ready(): Promise<void>;

  /**
   * Adds a connection, or resumes it when the connId is present for the same user:
   * epoch = max(previous + 1, now), status online, TTL refreshed. A new user beyond
   * `maxMembers` distinct users, or a new connId of a user holding `maxConnsPerUser`
   * connections: ROOM_FULL (a resume never is). The connId held by another user: FORBIDDEN.
   */
  abstract join(cmd: JoinCommand): Promise<JoinOutcome>;

  /**
   * Refreshes the TTL and applies the state ops, only for the current epoch (else
   * STALE_EPOCH); gone: NOT_JOINED; another user's connId: FORBIDDEN. A heartbeat that
   * changes nothing does not rewrite the stored state. Given the caller's `deadline`
   * (counted from its submission), that one bounds the call instead of the engine's own.
   */
  abstract heartbeat(cmd: HeartbeatCommand, deadline?: Deadline): Promise<HeartbeatOutcome>;

  /**
   * Several heartbeats at once, answered in order, each with its outcome or its AppError.
   * The Redis engine sends them as one pipeline.
   */
  abstract heartbeatMany(cmds: HeartbeatCommand[]): Promise<(HeartbeatOutcome | Error)[]>;

  /**
   * Removes a connection. Another user's connId: FORBIDDEN. With `epoch`, a newer session
   * is left alone (returns undefined). Absent: undefined.
   */
  abstract leave(ref: ConnRef): Promise<RemovedMember | undefined>;

  /**
   * Marks a connection away (transport lost) if it is the user's, `epoch` is still current
   * and it is online; returns the updated member, else undefined. The TTL is not refreshed.
   */
  abstract markAway(ref: ConnRef & { epoch: number }): Promise<Member | undefined>;

  /** The members of a room (unexpired). */
  abstract list(roomId: string): Promise<Member[]>;

  /**
   * Whether the user has a connection in the room, online or away, in O(1): presence
   * decides access to the room's channel, locks and messages. A connection counts until
   * it leaves or the sweep removes it.
   */
  abstract isPresent(roomId: string, userId: string): Promise<boolean>;

  /** The rooms where the user has connections, with those connections. */
  abstract listForUser(userId: string): Promise<{ roomId: string; members: Member[] }[]>;

  /**
   * Removes expired connections from up to `maxRooms` rooms whose earliest expiry has
   * passed, each room atomically, so every expired connection is returned exactly once
   * across all processes and calls. Repairs the cross-room indexes it passes.
   */
  abstract sweepExpired(maxRooms: number): Promise<SweepOutcome>;

  /** Takes or renews the sweeping lease for `ttlMs`; true while this holder has it. */
  abstract acquireReaperLease(holder: string, ttlMs: number): Promise<boolean>;

  /** Releases resources; called on shutdown. */
  abstract close(): Promise<void>;
}

/** The order of member lists on every engine: by connId (UTF-16 code units). */
export const byConnId = (members: Member[]): Member[] =>
  members.sort((a, b) => (a.connId < b.connId ? -1 : a.connId > b.connId ? 1 : 0));
