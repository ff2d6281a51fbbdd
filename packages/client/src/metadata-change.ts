import type { RealtimeError } from './errors.js';
import type { ChangedItems } from './metadata-cache.js';
import type { ChannelRef, LockEvent, MetadataEventType } from './protocol/index.js';

/**
 * A change of the cached items, whatever its cause, so a UI has one code path:
 * - `remote`: another client's write (a `metadata:event`; `authorUserId` is its writer);
 * - `local`: this client's own write, built from its ack (the writer gets no event);
 * - `read`: a re-read (get(), after a reconnect, or after a gap in the events), type `resync`.
 * `items` holds everything that changed in the cache (as now stored; removed as `{ key }`).
 */
export interface MetadataChange extends ChannelRef {
  type: MetadataEventType | 'resync';
  source: 'remote' | 'local' | 'read';
  majorRevision: number;
  items: ChangedItems;
  authorUserId?: string;
  ts: number;
}

export interface ChannelMetadataEvents {
  change: (change: MetadataChange) => void;
  /** A `lock:event` of this channel (acquired, released, expired). */
  lock: (event: LockEvent) => void;
  /** A background re-read (reconnect, gap) failed: the cache may be behind until the next. */
  syncError: (error: RealtimeError) => void;
}

export interface WriteOptions {
  /** The caller must hold this lock on the channel (else LOCK_NOT_HELD). */
  lockName?: string;
  /** Write only if the channel is still at this majorRevision (else REVISION_CONFLICT). */
  majorRevision?: number;
}

export interface ChannelMetadataOptions {
  /** Attempts of update() before it throws the last REVISION_CONFLICT. Default 10. */
  maxUpdateAttempts?: number;
}
