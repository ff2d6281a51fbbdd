import type { AppError } from '../../common/errors/app-error.js';
import type { JsonObject, Member } from '@avalon-realtime/client/protocol';
import type { HeartbeatCommand, HeartbeatOutcome } from '../presence.engine.js';
import { isPresenceRefusal, presenceRefusal } from '../presence-refusals.js';
import { presenceKeyList } from './keys.js';
import { inRuns, scriptReply } from './replies.js';
import type { HashedState } from './state-cache.js';

/**
 * Connections one refresh call takes: Lua's `unpack` (HSET and ZADD of two arguments per
 * connection) stays far below its limit of about 8,000 values.
 */
const MAX_PER_CALL = 1000;

/** One script call of a batch: which commands it answers, and its arguments. */
export interface BatchCall {
  /** Indexes into the batch's commands, in the order of the call's replies. */
  indexes: number[];
  /** True for a presence-heartbeat-batch call, false for one presence-heartbeat call. */
  refresh: boolean;
  args: (string | number)[];
}

/**
 * The heartbeats without state ops, grouped by room (one hash slot each) and TTL: one
 * refresh call per group, or a few for a group larger than MAX_PER_CALL.
 */
export function unchangedByRoom(cmds: readonly HeartbeatCommand[]): number[][] {
  const groups = new Map<string, number[]>();
  cmds.forEach((cmd, i) => {
    if (cmd.ops.length > 0) {
      return;
    }
    const key = `${cmd.ttlMs}\u0000${cmd.roomId}`;
    const indexes = groups.get(key);
    if (indexes) {
      indexes.push(i);
    } else {
      groups.set(key, [i]);
    }
  });
  return [...groups.values()].flatMap((indexes) => {
    const chunks: number[][] = [];
    for (let at = 0; at < indexes.length; at += MAX_PER_CALL) {
      chunks.push(indexes.slice(at, at + MAX_PER_CALL));
    }
    return chunks;
  });
}

/** The refresh call of heartbeats of one room and TTL, each with the state it holds. */
export function refreshCall(
  prefix: string,
  cmds: readonly HeartbeatCommand[],
  indexes: number[],
  bases: readonly (HashedState | undefined)[],
): BatchCall {
  const first = cmds[indexes[0]];
  const args: (string | number)[] = [...presenceKeyList(prefix, first.roomId), first.ttlMs];
  for (const i of indexes) {
    const cmd = cmds[i];
    args.push(cmd.connId, cmd.userId, cmd.epoch, bases[i]?.hash ?? '');
  }
  return { indexes, refresh: true, args };
}

/** A refreshed session whose state this process does not hold: sent again on its own. */
export const OUTDATED = Symbol('outdated');

/**
 * The answers of a refresh reply (see presence-heartbeat-batch.lua), one per command of
 * the call: its outcome, its refusal, or OUTDATED.
 */
export function refreshOutcomes(
  reply: unknown,
  cmds: readonly HeartbeatCommand[],
  indexes: number[],
  bases: readonly (HashedState | undefined)[],
): (HeartbeatOutcome | AppError | typeof OUTDATED)[] {
  const { status, body } = scriptReply(reply);
  const runs = inRuns(body.slice(1), 3);
  if (status !== 'OK' || runs.length !== indexes.length) {
    throw new Error('unexpected heartbeat batch reply');
  }
  const now = Number(body[0]);
  return runs.map(([word, a, b], n) => {
    const cmd = cmds[indexes[n]];
    const base = bases[indexes[n]];
    if (word === 'OK' && base) {
      return refreshed(cmd, base.state, now, String(a) as Member['status'], Number(b));
    }
    if (word === 'OUTDATED' || word === 'OK') {
      return OUTDATED;
    }
    const refusal = String(word);
    if (!isPresenceRefusal(refusal)) {
      throw new Error('unexpected heartbeat batch reply');
    }
    return presenceRefusal(refusal, Number(a));
  });
}

function refreshed(
  cmd: HeartbeatCommand,
  state: JsonObject,
  now: number,
  status: Member['status'],
  joinedAt: number,
): HeartbeatOutcome {
  const { connId, userId, epoch } = cmd;
  const member: Member = { connId, userId, state, status, joinedAt, lastSeenAt: now };
  return { epoch, changed: false, expiresAt: now + cmd.ttlMs, member };
}
