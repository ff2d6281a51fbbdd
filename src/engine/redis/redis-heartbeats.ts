import { sendEach, type RedisClient } from '../../redis/redis-client.js';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode, type JsonObject, type Member } from '@avalon-realtime/client/protocol';
import type { Deadline } from '../../common/deadline.js';
import { isNoScript, toAppError } from '../../common/storage-deadline.js';
import type { HeartbeatCommand, HeartbeatOutcome } from '../presence.engine.js';
import { applyStateOps } from '../state-ops.js';
import { isInDoubt, newRequestId, untilDefinite } from './in-doubt.js';
import { presenceDoneKey, presenceKeyList } from './keys.js';
import {
  OUTDATED,
  refreshCall,
  refreshOutcomes,
  unchangedByRoom,
  type BatchCall,
} from './redis-heartbeat-batch.js';
import { presenceReply, type ScriptReply } from './replies.js';
import { hashed, type HashedState, type StateCache } from './state-cache.js';

interface HeartbeatPlan {
  args: (string | number)[];
  base?: HashedState;
  next?: HashedState;
}

/** Heartbeats whose ops were computed on an outdated state are re-applied this often. */
const MAX_STATE_ATTEMPTS = 3;
/** The `done` key of heartbeats without ops: passed (one slot, fixed KEYS) but never touched. */
const NO_REQUEST = '';

/**
 * Heartbeats on Redis. State JSON is opaque to Lua: Node applies the ops to the state this
 * process last saw and the script swaps the state only if the hash it was computed from is
 * still the stored one (compare-and-set); on a mismatch the ops are applied again to the
 * stored state. A heartbeat without ops only refreshes TTLs and may simply be sent again.
 */
export class RedisHeartbeats {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly states: StateCache,
    private readonly doneTtlMs: number,
  ) {}

  async one(cmd: HeartbeatCommand, deadline: Deadline): Promise<HeartbeatOutcome> {
    const plan = this.plan(cmd, this.states.get(cmd.roomId, cmd.connId, cmd.epoch));
    return this.settle(cmd, plan, await this.send(plan, deadline), deadline);
  }

  /**
   * One pipeline: the heartbeats without ops refreshed by one call per room, those with
   * ops one call each (compare-and-set, announced as in `one`). Each command is answered
   * with its outcome or its AppError.
   */
  async many(cmds: HeartbeatCommand[], deadline: Deadline): Promise<(HeartbeatOutcome | Error)[]> {
    const plans = cmds.map((cmd) =>
      this.plan(cmd, this.states.get(cmd.roomId, cmd.connId, cmd.epoch)),
    );
    const bases = plans.map((plan) => plan.base);
    const calls: BatchCall[] = [
      ...unchangedByRoom(cmds).map((indexes) => refreshCall(this.prefix, cmds, indexes, bases)),
      ...cmds.flatMap((cmd, i) =>
        cmd.ops.length > 0 ? [{ indexes: [i], refresh: false, args: plans[i].args }] : [],
      ),
    ];
    const replies = await sendEach(
      this.redis,
      calls.map(
        (call) => (target) =>
          call.refresh
            ? target.presenceHeartbeatBatch(...call.args)
            : target.presenceHeartbeat(...call.args),
      ),
    );
    const results: (HeartbeatOutcome | Error)[] = [];
    await Promise.all(
      calls.map(async (call, k) => {
        const [err, reply] = replies[k] ?? [new Error('missing pipeline reply')];
        const answers = call.refresh
          ? await this.refreshed(cmds, bases, call, [err, reply], deadline)
          : [
              await this.answered(
                cmds[call.indexes[0]],
                plans[call.indexes[0]],
                [err, reply],
                deadline,
              ),
            ];
        call.indexes.forEach((i, n) => (results[i] = answers[n]));
      }),
    );
    return results;
  }

  /** The outcomes of one refresh call; sent again when it did not run or may not have. */
  private async refreshed(
    cmds: HeartbeatCommand[],
    bases: (HashedState | undefined)[],
    call: BatchCall,
    [err, reply]: [Error | null, unknown],
    deadline: Deadline,
  ): Promise<(HeartbeatOutcome | Error)[]> {
    let answers: (HeartbeatOutcome | Error | typeof OUTDATED)[];
    try {
      if (err && !isNoScript(err) && !isInDoubt(err)) {
        throw err;
      }
      const definite = err ? await this.sendRefresh(call, deadline) : reply;
      answers = refreshOutcomes(definite, cmds, call.indexes, bases);
    } catch (failure) {
      return call.indexes.map(() => toAppError(failure));
    }
    return Promise.all(
      answers.map(async (answer, n) =>
        answer === OUTDATED
          ? this.one(cmds[call.indexes[n]], deadline).catch((failure) => toAppError(failure))
          : answer,
      ),
    );
  }

  /** The outcome of one heartbeat with ops sent in a pipeline. */
  private async answered(
    cmd: HeartbeatCommand,
    plan: HeartbeatPlan,
    [err, reply]: [Error | null, unknown],
    deadline: Deadline,
  ): Promise<HeartbeatOutcome | Error> {
    try {
      if (isNoScript(err)) {
        return await this.one(cmd, deadline); // it did not run: once more on its own
      }
      if (isInDoubt(err)) {
        return await this.settle(cmd, plan, await this.send(plan, deadline), deadline);
      }
      if (err) {
        throw err;
      }
      return await this.settle(cmd, plan, reply, deadline);
    } catch (failure) {
      return toAppError(failure);
    }
  }

  /** A refresh is idempotent: sent again as it was. */
  private sendRefresh(call: BatchCall, deadline: Deadline): Promise<unknown> {
    return untilDefinite(this.redis, deadline, () =>
      this.redis.presenceHeartbeatBatch(...call.args),
    );
  }

  private send(plan: HeartbeatPlan, deadline: Deadline): Promise<unknown> {
    return untilDefinite(this.redis, deadline, () => this.redis.presenceHeartbeat(...plan.args));
  }

  /** Ops applied to the state this process believes current (none known: the script says). */
  private plan(cmd: HeartbeatCommand, base: HashedState | undefined): HeartbeatPlan {
    const hasOps = cmd.ops.length > 0;
    const next = hasOps && base ? hashed(applyStateOps(base.state, cmd.ops)) : undefined;
    const done = presenceDoneKey(this.prefix, cmd.roomId, hasOps ? newRequestId() : NO_REQUEST);
    const args = [
      ...[...presenceKeyList(this.prefix, cmd.roomId), done],
      ...[cmd.connId, cmd.userId, cmd.epoch, cmd.ttlMs, hasOps ? '1' : '0'],
      ...[base?.hash ?? '', next?.hash ?? '', next ? JSON.stringify(next.state) : ''],
      this.doneTtlMs,
    ];
    return { args, base, next };
  }

  /** Turns a heartbeat reply into its outcome, re-applying the ops on a state mismatch. */
  private async settle(
    cmd: HeartbeatCommand,
    firstPlan: HeartbeatPlan,
    firstReply: unknown,
    deadline: Deadline,
  ): Promise<HeartbeatOutcome> {
    let [plan, reply] = [firstPlan, presenceReply(firstReply)];
    for (let attempt = 1; reply.status === 'MISMATCH'; attempt++) {
      if (attempt >= MAX_STATE_ATTEMPTS) {
        throw new AppError(ErrorCode.BUSY, 'state changed concurrently, try again');
      }
      const stored = JSON.parse(String(reply.body[0])) as JsonObject;
      plan = this.plan(cmd, { state: stored, hash: String(reply.body[1]) });
      reply = presenceReply(await this.send(plan, deadline));
    }
    return this.outcome(cmd, plan, reply);
  }

  private outcome(cmd: HeartbeatCommand, plan: HeartbeatPlan, reply: ScriptReply) {
    const { body } = reply;
    const [epoch, changed, expiresAt, , joinedAt, lastSeenAt] = body.map(Number);
    const stored = typeof body[7] === 'string' && body[7] !== '' ? body[7] : undefined;
    const current = stored
      ? { state: JSON.parse(stored) as JsonObject, hash: String(body[6]) }
      : (plan.next ?? plan.base);
    if (!current) {
      throw new Error('heartbeat reply without a state');
    }
    this.states.set(cmd.roomId, cmd.connId, current.state, current.hash, epoch);
    const member: Member = {
      connId: cmd.connId,
      userId: cmd.userId,
      state: current.state,
      status: String(body[3]) as Member['status'],
      joinedAt,
      lastSeenAt,
    };
    return { epoch, changed: changed === 1, expiresAt, member };
  }
}
