import type { HeartbeatCommand } from '../presence.engine.js';
import { presenceKeyList } from './keys.js';
import { scriptReply } from './replies.js';

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
 * The heartbeats without state ops, grouped by room (one hash slot each): one refresh
 * call per room, or a few for a room holding more than MAX_PER_CALL of them.
 */
export function unchangedByRoom(cmds: readonly HeartbeatCommand[]): number[][] {
  const rooms = new Map<string, number[]>();
  cmds.forEach((cmd, i) => {
    if (cmd.ops.length > 0) {
      return;
    }
    const indexes = rooms.get(cmd.roomId);
    if (indexes) {
      indexes.push(i);
    } else {
      rooms.set(cmd.roomId, [i]);
    }
  });
  return [...rooms.values()].flatMap((indexes) => {
    const chunks: number[][] = [];
    for (let at = 0; at < indexes.length; at += MAX_PER_CALL) {
      chunks.push(indexes.slice(at, at + MAX_PER_CALL));
    }
    return chunks;
  });
}

/** The refresh call of heartbeats of one room; `baseHash` of each is the state it holds. */
export function refreshCall(
  prefix: string,
  cmds: readonly HeartbeatCommand[],
  indexes: number[],
  baseHash: (i: number) => string,
): BatchCall {
  const args: (string | number)[] = presenceKeyList(prefix, cmds[indexes[0]].roomId);
  for (const i of indexes) {
    const cmd = cmds[i];
    args.push(cmd.connId, cmd.userId, cmd.epoch, cmd.ttlMs, baseHash(i));
  }
  return { indexes, refresh: true, args };
}

/** The per-connection entries of a refresh reply, each shaped like a heartbeat reply. */
export function refreshEntries(reply: unknown, count: number): unknown[] {
  const { status, body } = scriptReply(reply);
  if (status !== 'OK' || body.length !== count) {
    throw new Error('unexpected heartbeat batch reply');
  }
  return body;
}
