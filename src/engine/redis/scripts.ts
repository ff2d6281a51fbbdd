import type { Result } from 'ioredis';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode, type JsonObject, type Member } from '../../common/protocol/index.js';
import type { ScriptDefinition } from '../../redis/script-registry.js';

const script = (name: string, file: string, numberOfKeys: number): ScriptDefinition => ({
  name,
  file: new URL(`./scripts/${file}`, import.meta.url),
  numberOfKeys,
});

/** The presence scripts; each file's header lists its KEYS, ARGV and reply shape. */
export const PRESENCE_SCRIPTS: readonly ScriptDefinition[] = [
  script('presenceJoin', 'presence-join.lua', 4),
  script('presenceHeartbeat', 'presence-heartbeat.lua', 3),
  script('presenceLeave', 'presence-leave.lua', 4),
  script('presenceMarkAway', 'presence-mark-away.lua', 2),
  script('presenceList', 'presence-list.lua', 3),
  script('presenceSweep', 'presence-sweep.lua', 4),
  script('reaperLease', 'reaper-lease.lua', 1),
];

/** The lock scripts of the metadata engine (metadata writes are WATCH/MULTI, not Lua). */
export const LOCK_SCRIPTS: readonly ScriptDefinition[] = [
  script('lockAcquire', 'lock-acquire.lua', 3),
  script('lockRenew', 'lock-renew.lua', 2),
  script('lockRelease', 'lock-release.lua', 2),
  script('lockReleaseOwner', 'lock-release-owner.lua', 2),
  script('lockExpire', 'lock-expire.lua', 2),
  script('lockList', 'lock-list.lua', 1),
  script('lockIndexDrop', 'lock-index-drop.lua', 1),
];

type ScriptArg = string | number;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    presenceJoin(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    presenceHeartbeat(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    presenceLeave(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    presenceMarkAway(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    presenceList(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    presenceSweep(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    reaperLease(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    lockAcquire(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    lockRenew(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    lockRelease(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    lockReleaseOwner(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    lockExpire(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    lockList(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    lockIndexDrop(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
  }
}

/** One connection as a script returns it: its member, epoch and state hash. */
export interface ScriptConn {
  member: Member;
  epoch: number;
  hash: string;
}

/** Meta JSON of one connection, as the scripts store it (see presence-join.lua). */
interface ConnMeta {
  u: string;
  e: number;
  s: Member['status'];
  j: number;
  l: number;
  h: string;
}

const REFUSALS: Record<string, [ErrorCode, string]> = {
  FORBIDDEN: [ErrorCode.FORBIDDEN, 'connId belongs to another user'],
  ROOM_FULL: [ErrorCode.ROOM_FULL, 'room is full'],
  NOT_JOINED: [ErrorCode.NOT_JOINED, 'not joined: join the room again'],
  STALE_EPOCH: [ErrorCode.STALE_EPOCH, 'a newer session of this connId exists'],
};

/** A script's array reply; a refusal status (first element) becomes its AppError. */
export function accepted(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) {
    throw new Error('unexpected script reply');
  }
  const refusal = REFUSALS[String(reply[0])];
  if (refusal) {
    const details = reply[0] === 'STALE_EPOCH' ? { epoch: Number(reply[1]) } : undefined;
    throw new AppError(refusal[0], refusal[1], details);
  }
  return reply;
}

/** A connection from its meta and state strings; the state JSON is parsed by Node only. */
export function parseConn(connId: unknown, metaJson: unknown, stateJson: unknown): ScriptConn {
  const meta = JSON.parse(String(metaJson)) as ConnMeta;
  const member: Member = {
    connId: String(connId),
    userId: meta.u,
    state: JSON.parse(typeof stateJson === 'string' ? stateJson : '{}') as JsonObject,
    status: meta.s,
    joinedAt: meta.j,
    lastSeenAt: meta.l,
  };
  return { member, epoch: meta.e, hash: meta.h };
}

/** Connections from a flat `connId, meta, state, connId, meta, state, ...` reply. */
export function parseConns(flat: unknown[]): ScriptConn[] {
  const conns: ScriptConn[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    conns.push(parseConn(flat[i], flat[i + 1], flat[i + 2]));
  }
  return conns;
}

/** A lock script's array reply; LOCK_HELD / LOCK_NOT_HELD become their AppError. */
export function lockAccepted(reply: unknown, lockName: string): unknown[] {
  if (!Array.isArray(reply)) {
    throw new Error('unexpected script reply');
  }
  if (reply[0] === 'LOCK_HELD') {
    throw new AppError(ErrorCode.LOCK_HELD, `lock ${lockName} is held`, {
      owner: String(reply[1]),
      expiresAt: Number(reply[2]),
    });
  }
  if (reply[0] === 'LOCK_NOT_HELD') {
    throw new AppError(ErrorCode.LOCK_NOT_HELD, `lock ${lockName} is not held by you`);
  }
  return reply;
}
