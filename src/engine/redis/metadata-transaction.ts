import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode, type MetadataItem } from '@avalon-realtime/client/protocol';
import { isRedirect } from '../../redis/redis-client.js';
import type { Transactions } from '../../redis/transactions.js';
import type { TxConnection } from '../../redis/tx-connection.js';
import type { WriteCommand, WriteOutcome } from '../metadata.engine.js';
import { planWrite, sortedItems, type ChannelState, type PlannedWrite } from '../metadata-rules.js';
import type { ChannelKeys } from './keys.js';
import { redisTimeMs } from './replies.js';

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

/**
 * Why an attempt did not commit, when trying again is safe (nothing was written): a
 * concurrent change, a dropped connection, or (cluster) a slot that moved or is moving.
 */
type Abort = 'conflict' | 'connection-lost' | 'redirected';

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
 * On a cluster the transaction runs on the master of the channel's slot; a redirect
 * (MOVED, ASK, TRYAGAIN while a slot migrates, a failover) learns the slots again and
 * retries, and answers UNAVAILABLE if it outlasts the retries. Storage errors are thrown
 * as they come; the engine maps them to UNAVAILABLE.
 */
export async function writeChannel(
  transactions: Transactions,
  keys: ChannelKeys,
  cmd: WriteCommand,
  maxRetries: number,
): Promise<WriteOutcome> {
  let abort: Abort = 'conflict';
  for (let attempt = 1; attempt <= maxRetries + 1; attempt++) {
    if (attempt > 1) {
      await pauseAfter(abort, attempt, transactions);
    }
    const result = await transactions.use(keys.meta, (conn) =>
      attemptWrite(conn, keys, cmd).catch((err: unknown) => {
        if (isRedirect(err)) {
          return 'redirected' as const;
        }
        throw err;
      }),
    );
    if (typeof result !== 'string') {
      return { ...result, attempts: attempt };
    }
    abort = result;
  }
  if (abort !== 'conflict') {
    throw new AppError(ErrorCode.UNAVAILABLE, 'storage unavailable');
  }
  throw new AppError(ErrorCode.BUSY, 'metadata busy: too many concurrent writes, nothing written');
}

/** Longest pause before retrying a redirected write: a slot's keys move in milliseconds. */
const REDIRECT_PAUSE_MS = 50;

async function pauseAfter(abort: Abort, attempt: number, transactions: Transactions) {
  if (abort === 'redirected') {
    await transactions.redirected();
    await sleep(Math.min(10 * attempt, REDIRECT_PAUSE_MS));
    return;
  }
  // A little jitter so writers that just collided do not collide again in lockstep.
  await sleep(Math.random() * Math.min(attempt, 10));
}

/** One WATCH..EXEC round on one connection; an AppError leaves the WATCH for the pool. */
async function attemptWrite(
  conn: TxConnection,
  keys: ChannelKeys,
  cmd: WriteCommand,
): Promise<Omit<WriteOutcome, 'attempts'> | Abort> {
  const generation = conn.watching();
  const read = await readWatched(conn, keys, cmd.lockName).catch((err: unknown) => {
    // Nothing was sent past the reads: on a dropped connection a retry is safe.
    if (!conn.intact(generation)) {
      return undefined;
    }
    throw err;
  });
  if (!read) {
    return 'connection-lost';
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
  return (await commit(conn, keys, plan)) ? outcome(applied(state, plan), plan) : 'conflict';
}

interface WatchedRead {
  state: ChannelState;
  now: number;
  lock: StoredLock | undefined;
}

/** WATCH then the reads and the Redis clock, in one round trip on the watching connection. */
async function readWatched(
  conn: TxConnection,
  keys: ChannelKeys,
  lockName: string | undefined,
): Promise<WatchedRead> {
  const watched = lockName === undefined ? [keys.meta] : [keys.meta, keys.locks];
  const pipeline = conn.redis
    .pipeline()
    .watch(...watched)
    .hgetall(keys.meta)
    .time();
  if (lockName !== undefined) {
    pipeline.hget(keys.locks, lockName);
  }
  const [, hash, time, lockJson] = replyValues(await pipeline.exec());
  return {
    state: parseChannel(hash as Record<string, string>),
    now: redisTimeMs(time as [string, string]),
    lock: typeof lockJson === 'string' ? (JSON.parse(lockJson) as StoredLock) : undefined,
  };
}

/** The lock exists, is `owner`'s and has not lapsed; WATCH keeps its token fixed to EXEC. */
const heldBy = (lock: StoredLock | undefined, owner: string, now: number): boolean =>
  lock !== undefined && lock.owner === owner && lock.expiresAt > now;

/** MULTI/EXEC of the plan; false when EXEC was aborted because a watched key changed. */
async function commit(conn: TxConnection, keys: ChannelKeys, plan: PlannedWrite): Promise<boolean> {
  const fields = plan.written.map((item): [string, string] => [
    itemField(item.key),
    JSON.stringify(item),
  ]);
  const multi = conn.redis.multi();
  multi.hset(keys.meta, { [MAJOR_FIELD]: plan.majorRevision, ...Object.fromEntries(fields) });
  if (plan.removed.length > 0) {
    multi.hdel(keys.meta, ...plan.removed.map(itemField));
  }
  const replies = await multi.exec();
  conn.unwatched(); // EXEC ends every WATCH, aborted or not
  if (replies === null) {
    return false;
  }
  replyValues(replies);
  return true;
}

/** The values of a pipeline's replies; the first failed command fails the whole call. */
function replyValues(replies: [Error | null, unknown][] | null): unknown[] {
  return (replies ?? []).map(([err, value]) => {
    if (err) {
      throw err;
    }
    return value;
  });
}

function applied(state: ChannelState, plan: PlannedWrite): ChannelState {
  plan.written.forEach((item) => state.items.set(item.key, item));
  plan.removed.forEach((key) => state.items.delete(key));
  return { majorRevision: plan.majorRevision, items: state.items };
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
