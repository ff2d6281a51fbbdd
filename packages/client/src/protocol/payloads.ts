/** Any JSON value, as it travels on the wire. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export type MemberStatus = 'online' | 'away';

/** One connection present in a room. Times are epoch milliseconds. */
export interface Member {
  connId: string;
  userId: string;
  state: JsonObject;
  status: MemberStatus;
  joinedAt: number;
  lastSeenAt: number;
}

export interface JoinRequest {
  roomId: string;
  connId?: string;
  state?: JsonObject;
}
export interface JoinResult {
  roomId: string;
  connId: string;
  epoch: number;
  resumed: boolean;
  heartbeatIntervalMs: number;
  ttlMs: number;
  members: Member[];
}

export interface HeartbeatRequest {
  roomId: string;
  connId: string;
  epoch: number;
  state?: JsonObject;
  statePatch?: JsonObject;
}
export interface HeartbeatResult {
  epoch: number;
  changed: boolean;
  expiresAt: number;
}

export interface LeaveRequest {
  roomId: string;
  connId: string;
}
export interface LeaveResult {
  left: true;
}

export interface ListRequest {
  roomId: string;
}
export interface ListResult {
  roomId: string;
  members: Member[];
}

export interface UserRequest {
  userId: string;
}
export interface UserResult {
  userId: string;
  rooms: { roomId: string; members: Member[] }[];
}

export type LeaveReason = 'left' | 'timeout';

export interface PresenceEvent {
  roomId: string;
  type: 'join' | 'update' | 'leave';
  connId: string;
  userId: string;
  member?: Member;
  reason?: LeaveReason;
  ts: number;
}

export interface ServerShutdownNotice {
  message: string;
  reconnectAfterMs: number;
}

export interface ServerErrorNotice {
  event: string;
  code: string;
  message: string;
}

export interface AuthRefreshRequest {
  token: string;
}
/** `exp` of the token now in force, epoch seconds (a JWT NumericDate, unlike other times). */
export interface AuthRefreshResult {
  exp: number;
}
