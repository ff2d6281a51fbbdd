import { setTimeout as sleep } from 'node:timers/promises';
import type { ChainableCommander } from 'ioredis';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode, type MetadataItem } from '../../common/protocol/index.js';
import type { TransactionPool, TxConnection } from '../../redis/transaction-pool.js';
import type { WriteCommand, WriteOutcome } from '../metadata.engine.js';
import { planWrite, sortedItems, type ChannelState, type PlannedWrite } from '../metadata-rules.js';
import type { ChannelKeys } from './keys.js';

/** The `meta` hash field of majorRevision; items live in `i:<key>` fields. */
const MAJOR_FIELD = 'major';
const ITEM_PREFIX = 'i:';
const itemField = (key: string): string => `${ITEM_PREFIX}${key}`;

/** A lock record as the lock scripts store it (see lock-acquire.lua). */
interface StoredLock {
  owner: string;
  token: number;
  expiresAt: number;
}

/** Why an attempt did not commit, when trying again is safe (nothing was written). */
type Abort = 'conflict' | 'connection-lost';

/** A channel from its `meta` hash (HGETALL), items parsed by Node only. */
export function parseChannel(hash: Record<string, string>): ChannelState {
  const items = new Map<string, MetadataItem>();
  for (const [field, json] of Object.entries(hash)) {
    if (field.startsWith(ITEM_PREFIX)) {
      items.set(field.slice(ITEM_PREFIX.length), JSON.parse(json) as MetadataItem);
    }
  }
  return { majorRevision: Number(hash[MAJOR_FIELD] ?? 0), items };
}

/**
 * One metadata write as optimistic transactions: WATCH the channel (and its locks), read,
 * plan with the shared rules, MULTI/EXEC; an EXEC aborted by a concurrent change is tried
 * again on the latest state, up to `maxRetries` more times, then BUSY (nothing written).
 * Storage errors are thrown as they come; the engine maps them to UNAVAILABLE.
 */
export async function writeChannel(
  pool: TransactionPool,
  keys: ChannelKeys,
  cmd: WriteCommand,
  maxRetries: number,
): Promise<WriteOutcome> {
  let abort: Abort = 'conflict';
  for (let attempt = 1; attempt <= maxRetries + 1; attempt++) {
    if (attempt > 1) {
      // A little jitter so writers that just collided do not collide again in lockstep.
      await sleep(Math.random() * Math.min(attempt, 10));
    }
    const result = await pool.use((conn) => attemptWrite(conn, keys, cmd));
    if (typeof result !== 'string') {
      return { ...result, attempts: attempt };
    }
    abort = result;
  }
  if (abort === 'connection-lost') {
    throw new AppError(ErrorCode.UNAVAILABLE, 'storage unavailable');
  }
  throw new AppError(ErrorCode.BUSY, 'metadata busy: too many concurrent writes, nothing written');
}

/** One WATCH..EXEC round on one connection; an AppError leaves the WATCH for the pool. */
async function attemptWrite(
  conn: TxConnection,
  keys: ChannelKeys,
  cmd: WriteCommand,
): Promise<Omit<WriteOutcome, 'attempts'> | Abort> {
  const generation = conn.watching();
  let read: { state: ChannelState; now: number; lock: StoredLock | undefined };
  try {
    read = await readWatched(conn, keys, cmd.lockName);
  } catch (err) {
    // Nothing was sent past the reads: on a dropped connection a retry is safe.
    if (!conn.intact(generation)) {
      return 'connection-lost';
    }
    throw err;
  }
  const { state, now, lock } = read;
  if (cmd.lockName !== undefined && !heldBy(lock, cmd.authorUserId, now)) {
    throw new AppError(ErrorCode.LOCK_NOT_HELD, `lock ${cmd.lockName} is not held by you`);
  }
  const plan = planWrite(state, cmd, now);
  if (!plan) {
    return outcome(state, undefined);
  }
  // The WATCH lived on the socket that dropped; EXEC on a new one would commit unchecked.
  if (!conn.intact(generation)) {
    return 'connection-lost';
  }
  const replies = await commit(conn.redis.multi(), keys, plan).exec();
  conn.unwatched();
  if (replies === null) {
    return 'conflict';
  }
  for (const [err] of replies) {
    if (err) {
      throw err;
    }
  }
  plan.written.forEach((item) => state.items.set(item.key, item));
  plan.removed.forEach((key) => state.items.delete(key));
  state.majorRevision = plan.majorRevision;
  return outcome(state, plan);
}

/** WATCH then the reads and the Redis clock, in one round trip on the watching connection. */
async function readWatched(
  conn: TxConnection,
  keys: ChannelKeys,
  lockName: string | undefined,
): Promise<{ state: ChannelState; now: number; lock: StoredLock | undefined }> {
  const watched = lockName === undefined ? [keys.meta] : [keys.meta, keys.locks];
  const pipeline = conn.redis
    .pipeline()
    .watch(...watched)
    .hgetall(keys.meta)
    .time();
  if (lockName !== undefined) {
    pipeline.hget(keys.locks, lockName);
  }
  const replies = (await pipeline.exec()) ?? [];
  for (const [err] of replies) {
    if (err) {
      throw err;
    }
  }
  const [, hash, time, lockJson] = replies.map(([, reply]) => reply);
  const [sec, usec] = time as [string, string];
  return {
    state: parseChannel(hash as Record<string, string>),
    now: Number(sec) * 1000 + Math.floor(Number(usec) / 1000),
    lock: typeof lockJson === 'string' ? (JSON.parse(lockJson) as StoredLock) : undefined,
  };
}

/** The lock exists, is `owner`'s and has not lapsed; WATCH keeps its token fixed to EXEC. */
const heldBy = (lock: StoredLock | undefined, owner: string, now: number): boolean =>
  lock !== undefined && lock.owner === owner && lock.expiresAt > now;

function commit(
  multi: ChainableCommander,
  keys: ChannelKeys,
  plan: PlannedWrite,
): ChainableCommander {
  const fields = plan.written.map((item): [string, string] => [
    itemField(item.key),
    JSON.stringify(item),
  ]);
  multi.hset(keys.meta, { [MAJOR_FIELD]: plan.majorRevision, ...Object.fromEntries(fields) });
  if (plan.removed.length > 0) {
    multi.hdel(keys.meta, ...plan.removed.map(itemField));
  }
  return multi;
}

function outcome(
  state: ChannelState,
  plan: PlannedWrite | undefined,
): Omit<WriteOutcome, 'attempts'> {
  return {
    majorRevision: state.majorRevision,
    items: sortedItems(state.items.values()),
    written: plan?.written ?? [],
    removed: plan?.removed ?? [],
    changed: plan !== undefined,
  };
}
