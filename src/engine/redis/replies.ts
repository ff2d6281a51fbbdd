import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode, type JsonObject, type Member } from '@avalon-realtime/client/protocol';
import { isPresenceRefusal, presenceRefusal } from '../presence-refusals.js';

/**
 * Decoding of Redis replies, in one place. Every script reply holds its status word in
 * reply[0] and the body after it; a status is compared as a value and no string from a
 * reply (a connId, a userId) is ever looked up as an object key.
 */
export interface ScriptReply {
  status: string;
  body: unknown[];
}

export function scriptReply(reply: unknown): ScriptReply {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string') {
    throw new Error('unexpected script reply');
  }
  return { status: reply[0], body: reply.slice(1) };
}

/** A presence script's reply; a refusal status becomes its AppError, others are returned. */
export function presenceReply(reply: unknown): ScriptReply {
  const decoded = scriptReply(reply);
  if (isPresenceRefusal(decoded.status)) {
    throw presenceRefusal(decoded.status, Number(decoded.body[0]));
  }
  return decoded;
}

/** Epoch milliseconds of a `TIME` reply (seconds, microseconds). */
export const redisTimeMs = ([sec, usec]: readonly (string | number)[]): number =>
  Number(sec) * 1000 + Math.floor(Number(usec) / 1000);

/** A flat reply cut into runs of `size` elements; an incomplete last run is dropped. */
export function inRuns(flat: readonly unknown[], size: number): unknown[][] {
  const runs: unknown[][] = [];
  for (let i = 0; i + size <= flat.length; i += size) {
    runs.push(flat.slice(i, i + size));
  }
  return runs;
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

/** Connections from a flat `connId, meta, state, connId, meta, state, ...` body. */
export const parseConns = (flat: readonly unknown[]): ScriptConn[] =>
  inRuns(flat, 3).map(([connId, meta, state]) => parseConn(connId, meta, state));

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
