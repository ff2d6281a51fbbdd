import type {
  ChannelRef,
  ItemWrite,
  LockGrant,
  LockSummary,
  MetadataItem,
  MetadataSnapshot,
} from '@avalon-realtime/client/protocol';

export type WriteKind = 'set' | 'update' | 'remove';

export interface WriteCommand {
  channel: ChannelRef;
  kind: WriteKind;
  /** set/update: the items to write (keys unique, validated by the caller). */
  items?: ItemWrite[];
  /** remove: the keys to remove; undefined = every item. */
  keys?: string[];
  /** When ≥ 0, must equal the stored majorRevision. */
  majorRevision?: number;
  /** When given, `authorUserId` must hold this lock on the channel at commit time. */
  lockName?: string;
  authorUserId: string;
}

export interface WriteOutcome {
  majorRevision: number;
  /** The whole channel after the write. */
  items: MetadataItem[];
  /** Items written by this call (set/update). */
  written: MetadataItem[];
  /** Keys removed by this call (remove). */
  removed: string[];
  /** False when nothing changed (a remove of absent keys): no new revision, no event. */
  changed: boolean;
  /** Transaction attempts this write took (1 = no retry); for metrics and tests. */
  attempts: number;
}

export interface AcquireOutcome {
  grant: LockGrant;
  /** False when the caller already held it (extended, same token). */
  acquired: boolean;
  /** A lapsed lock this call replaced; announced `expired` before `acquired`. */
  expired?: LockSummary;
}

export interface ChannelLock {
  channel: ChannelRef;
  lock: LockSummary;
}

/**
 * Channel metadata and its lease locks. Every method is one atomic unit (on Redis a
 * WATCH/MULTI/EXEC transaction on a pooled connection, or one script), returns what
 * changed and never emits. Errors are AppError:
 * - write: REVISION_CONFLICT (details: current majorRevision and the named items'
 *   revisions), NOT_FOUND (update of a missing key), LOCK_NOT_HELD, PAYLOAD_TOO_LARGE
 *   (over the item limit), BUSY (contention outlasted the retry budget; nothing written),
 *   UNAVAILABLE (storage unreachable in time; the write may or may not have happened);
 * - locks: LOCK_HELD (details: owner, expiresAt), LOCK_NOT_HELD, PAYLOAD_TOO_LARGE (over the
 *   lock limit), UNAVAILABLE (on Redis a lock call whose reply was lost is run again with
 *   the same request id, which answers its first outcome: see redis/in-doubt.ts).
 * Renewing or releasing a lock, or a write that fails or changes nothing, never stores
 * anything for a channel that does not exist.
 */
export abstract class MetadataEngine {
  /** Ready to serve (scripts loaded, pool usable). */
  abstract ready(): Promise<void>;

  /** The channel's items and majorRevision (an empty channel: 0, []). */
  abstract read(channel: ChannelRef): Promise<MetadataSnapshot>;

  /**
   * All-or-nothing: checks majorRevision, item revisions and the lock, then writes,
   * raising majorRevision by 1 and each written item's revision by 1 (new items start
   * at 1). Concurrent writes never lose an update.
   */
  abstract write(cmd: WriteCommand): Promise<WriteOutcome>;

  /**
   * Grants the lock for `ttlMs` when free or lapsed (a new token, larger than any
   * before on this channel, also after storage lost its data); extends it, keeping the
   * token, when `owner` already holds it. Held by another: LOCK_HELD. A new name on a
   * channel that already holds `maxLocks` live locks: PAYLOAD_TOO_LARGE (checked in the
   * same atomic step, so concurrent acquires never overshoot).
   */
  abstract acquireLock(
    channel: ChannelRef,
    lockName: string,
    owner: string,
    ttlMs: number,
    maxLocks: number,
  ): Promise<AcquireOutcome>;

  /** Extends a lock `owner` holds; anyone else (or lapsed): LOCK_NOT_HELD. */
  abstract renewLock(
    channel: ChannelRef,
    lockName: string,
    owner: string,
    ttlMs: number,
  ): Promise<{ expiresAt: number }>;

  /** Releases a lock `owner` holds; anyone else (or lapsed): LOCK_NOT_HELD. */
  abstract releaseLock(channel: ChannelRef, lockName: string, owner: string): Promise<LockSummary>;

  /** The channel's unexpired locks. */
  abstract listLocks(channel: ChannelRef): Promise<LockSummary[]>;

  /** Releases every lock `owner` holds on the channel; returns them. */
  abstract releaseLocksOf(channel: ChannelRef, owner: string): Promise<LockSummary[]>;

  /**
   * Removes up to `max` lapsed locks across all channels and returns each exactly once
   * across processes (a lapsed lock taken over by acquireLock is returned there instead).
   */
  abstract sweepExpiredLocks(max: number): Promise<ChannelLock[]>;

  /**
   * The channel's items and locks are deleted `afterMs` from now (its room emptied),
   * unless `keepChannel` comes first. Idempotent; a channel that does not exist stays so.
   */
  abstract dropChannelAfter(channel: ChannelRef, afterMs: number): Promise<void>;

  /** Cancels a pending `dropChannelAfter`: the channel lives on (its room has members). */
  abstract keepChannel(channel: ChannelRef): Promise<void>;

  /** Releases resources; called on shutdown. */
  abstract close(): Promise<void>;
}
