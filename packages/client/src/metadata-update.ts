import { backoffDelay } from './backoff.js';
import { RealtimeError } from './errors.js';
import { jsonEqual } from './json-equal.js';
import {
  ErrorCode,
  type ItemWrite,
  type JsonValue,
  type MetadataItem,
  type MetadataSnapshot,
  type MetadataWriteResult,
  type RevisionConflictDetails,
} from './protocol/index.js';

/** Computes an item's next value from its current one (undefined: the item is absent). */
export type UpdateFn = (current: JsonValue | undefined) => JsonValue | Promise<JsonValue>;

/** What the CAS loop needs from its ChannelMetadataClient. */
export interface UpdateOps {
  /** The item as cached (the cache is filled first if it never was). */
  current(): Promise<MetadataItem | undefined>;
  /** Reads the channel into the cache. */
  read(): Promise<MetadataSnapshot>;
  write(
    item: ItemWrite,
    readBeforeRetry: () => Promise<MetadataSnapshot | undefined>,
  ): Promise<MetadataWriteResult>;
  /** This client's user id once known (from its own acks and lock grants). */
  userId(): string | undefined;
}

/** Pause before attempt n+1: full jitter, so clients that collided spread out. */
const BACKOFF = { minDelayMs: 10, maxDelayMs: 320 };

/**
 * The bounded compare-and-set loop behind ChannelMetadataClient.update(): each attempt
 * writes `fn(current)` with the revision it was computed from (0 = create only), so a
 * concurrent write makes it fail with REVISION_CONFLICT instead of being overwritten.
 */
export async function updateLoop(
  ops: UpdateOps,
  key: string,
  fn: UpdateFn,
  maxAttempts: number,
): Promise<MetadataItem> {
  let lastError: RealtimeError | undefined;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (attempt > 0) {
      await pause(backoffDelay(attempt - 1, BACKOFF));
    }
    const current = await ops.current();
    const revision = current?.revision ?? 0;
    const value = await fn(current?.value);
    /** Set when a write in doubt was sent again: its conflict may be our own first write. */
    let resent = false;
    try {
      const result = await ops.write({ key, value, revision }, async () => {
        const known = await inDoubt(ops, key, revision, value);
        resent = known === undefined;
        return known;
      });
      const written = result.items.find((item) => item.key === key);
      if (written) {
        return written;
      }
      throw new RealtimeError(ErrorCode.INTERNAL, `the write ack lacks ${key}`);
    } catch (error) {
      if (!(error instanceof RealtimeError) || error.code !== ErrorCode.REVISION_CONFLICT) {
        throw error;
      }
      if (resent) {
        // The first send may have landed after our read: then it is done, and calling fn
        // again would apply it twice.
        const snapshot = await inDoubt(ops, key, revision, value);
        const landed = snapshot?.items.find((item) => item.key === key);
        if (landed) {
          return landed;
        }
      }
      lastError = error;
      if (!cacheHasConflictRevision(await ops.current(), key, error.details)) {
        await ops.read();
      }
    }
  }
  throw lastError ?? new RealtimeError(ErrorCode.BAD_REQUEST, 'maxUpdateAttempts must be ≥ 1');
}

/**
 * After UNAVAILABLE the write may or may not have happened. The item still at `revision`:
 * it did not, send again. At revision + 1 with our value (and, when known, our user as
 * author): it did, done. At revision + 1 with anything else: another write won, so sending
 * again gets a genuine REVISION_CONFLICT. Further on: undecidable (a retry could apply
 * `fn` twice), so the UNAVAILABLE stands.
 */
async function inDoubt(
  ops: UpdateOps,
  key: string,
  revision: number,
  value: JsonValue,
): Promise<MetadataSnapshot | undefined> {
  const snapshot = await ops.read();
  const stored = snapshot.items.find((item) => item.key === key);
  const storedRevision = stored?.revision ?? 0;
  if (storedRevision === revision) {
    return undefined;
  }
  if (storedRevision === revision + 1 && stored) {
    const userId = ops.userId();
    const ours =
      jsonEqual(stored.value, value) && (userId === undefined || stored.authorUserId === userId);
    return ours ? snapshot : undefined;
  }
  throw new RealtimeError(
    ErrorCode.UNAVAILABLE,
    `update of ${key} in doubt: it moved from revision ${revision} to ${storedRevision}`,
  );
}

/** Whether the cache already holds the revision the conflict reported (no re-read needed). */
function cacheHasConflictRevision(
  cached: MetadataItem | undefined,
  key: string,
  details: unknown,
): boolean {
  const items = (details as Partial<RevisionConflictDetails> | undefined)?.items;
  const reported = Array.isArray(items) ? items.find((item) => item.key === key) : undefined;
  return reported !== undefined && reported.revision === (cached?.revision ?? 0);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
