import { ChannelLock, asRealtimeError, type LockOptions } from './channel-lock.js';
import { Emitter } from './emitter.js';
import type { ClientLink } from './link.js';
import { jsonEqual } from './json-equal.js';
import { MetadataCache } from './metadata-cache.js';
import type {
  ChannelMetadataEvents,
  ChannelMetadataOptions,
  MetadataChange,
  WriteOptions,
} from './metadata-change.js';
import { updateLoop, type UpdateFn } from './metadata-update.js';
import type {
  ChannelRef,
  ItemWrite,
  LockEvent,
  MetadataEvent,
  MetadataEventType,
  MetadataItem,
  MetadataSnapshot,
  MetadataWriteResult,
} from './protocol/index.js';

/** One channel's metadata: a cache kept current from acks and events, writes, locks. */
export class ChannelMetadataClient extends Emitter<ChannelMetadataEvents> {
  private readonly cache = new MetadataCache();
  private readonly locks = new Set<ChannelLock>();
  private readonly unlisten: (() => void)[];
  private subscribed = false;
  private loaded = false;
  private resyncing = false;
  /** The newest majorRevision an event announced. */
  private wanted = 0;
  private disposed = false;
  /** This client's user id, learnt from its own write acks and lock grants. */
  private userId?: string;
  private readonly maxUpdateAttempts: number;

  constructor(
    private readonly link: ClientLink,
    readonly ref: ChannelRef,
    options: ChannelMetadataOptions = {},
  ) {
    super();
    this.maxUpdateAttempts = options.maxUpdateAttempts ?? 10;
    this.unlisten = [
      link.listen('metadata:event', (event) => this.onEvent(event)),
      link.listen('lock:event', (event) => this.onLockEvent(event)),
      link.onReconnect(() => this.afterReconnect()),
    ];
  }

  /** The cached items by key (empty until get(), an event or a write). */
  get items(): ReadonlyMap<string, MetadataItem> {
    return this.cache.items;
  }

  get majorRevision(): number {
    return this.cache.majorRevision;
  }

  /** Reads the channel and fills the cache; returns the snapshot as read. */
  async get(): Promise<MetadataSnapshot> {
    const mark = this.cache.mutations;
    const snapshot = await this.link.request('metadata:get', this.ref);
    // A read that an event or ack overtook is older than the cache: keep the cache then.
    this.take(snapshot, 'read', 'resync', this.cache.mutations === mark);
    return snapshot;
  }

  /** Adds or overwrites items (`revision` per item: write only if still at it; 0 = create). */
  set(items: ItemWrite[], options: WriteOptions = {}): Promise<MetadataWriteResult> {
    return this.write('metadata:set', 'set', items, options);
  }

  /** Changes existing items only (a missing key: NOT_FOUND). */
  updateItems(items: ItemWrite[], options: WriteOptions = {}): Promise<MetadataWriteResult> {
    return this.write('metadata:update', 'update', items, options);
  }

  /** Removes the given keys, or every item when `keys` is omitted. */
  async remove(keys?: string[], options: WriteOptions = {}): Promise<MetadataWriteResult> {
    const result = await this.link.request(
      'metadata:remove',
      { ...this.ref, ...(keys ? { keys } : {}), ...options },
      {
        // In doubt after UNAVAILABLE: done if none of the keys is left, else send again.
        readBeforeRetry: async () => {
          const snapshot = await this.get();
          const left = snapshot.items.filter((item) => !keys || keys.includes(item.key));
          return left.length === 0 ? snapshot : undefined;
        },
      },
    );
    this.take(result, 'local', 'remove');
    return result;
  }

  /**
   * Read-modify-write of one item: `fn` gets the current value (undefined if absent) and
   * returns the next; the write names the revision it read, and a REVISION_CONFLICT
   * re-reads and calls `fn` again, up to maxUpdateAttempts (then the last error is thrown).
   * Resolves with the item as written.
   */
  update(key: string, fn: UpdateFn): Promise<MetadataItem> {
    return updateLoop(
      {
        current: async () => {
          if (!this.loaded) {
            await this.get();
          }
          return this.cache.items.get(key);
        },
        read: () => this.get(),
        write: (item, readBeforeRetry) =>
          this.write('metadata:set', 'set', [item], {}, readBeforeRetry),
        userId: () => this.userId,
      },
      key,
      fn,
      this.maxUpdateAttempts,
    );
  }

  /** Acquires a lease lock on this channel; renews it automatically unless told not to. */
  async lock(lockName: string, options: LockOptions): Promise<ChannelLock> {
    const sentAt = Date.now();
    const grant = await this.link.request('lock:acquire', {
      ...this.ref,
      lockName,
      ttlMs: options.ttlMs,
    });
    const lock = new ChannelLock(
      this.link,
      this.ref,
      grant,
      options.ttlMs,
      sentAt,
      (ended) => this.locks.delete(ended),
      options.autoRenew ?? true,
    );
    this.locks.add(lock);
    this.userId = grant.owner;
    return lock;
  }

  /** User channels: receive `metadata:event`s (kept across reconnects), then read. */
  async subscribe(): Promise<MetadataSnapshot> {
    await this.link.request('metadata:subscribe', this.ref);
    this.subscribed = true;
    return this.get();
  }

  async unsubscribe(): Promise<void> {
    this.subscribed = false;
    await this.link.request('metadata:unsubscribe', this.ref);
  }

  /** Disposed: its client closed, or dispose() was called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Stops following the channel: no listener, hook or renewal survives (locks are not
   * released; they lapse). RealtimeClient calls it on close; `client.metadata(ref)` then
   * hands out a new one.
   */
  dispose(): void {
    this.disposed = true;
    this.unlisten.splice(0).forEach((stop) => stop());
    [...this.locks].forEach((lock) => lock.dispose());
    this.locks.clear();
    this.removeAllListeners();
  }

  private async write(
    event: 'metadata:set' | 'metadata:update',
    type: MetadataEventType,
    items: ItemWrite[],
    options: WriteOptions,
    readBeforeRetry = async (): Promise<MetadataSnapshot | undefined> => {
      // In doubt after UNAVAILABLE: done if every item holds what we wrote, else send again.
      const snapshot = await this.get();
      const stored = new Map(snapshot.items.map((item) => [item.key, item.value]));
      const done = items.every((item) => jsonEqual(stored.get(item.key), item.value));
      return done ? snapshot : undefined;
    },
  ): Promise<MetadataWriteResult> {
    const result = await this.link.request(
      event,
      { ...this.ref, items, ...options },
      { readBeforeRetry },
    );
    this.take(result, 'local', type);
    this.userId =
      result.items.find((item) => item.key === items[0].key)?.authorUserId ?? this.userId;
    return result;
  }

  /** Takes a whole snapshot (ack or read) into the cache and announces what changed. */
  private take(
    snapshot: MetadataWriteResult,
    source: MetadataChange['source'],
    type: MetadataChange['type'],
    force = false,
  ): void {
    this.loaded = true;
    const items = this.cache.replace(snapshot, force);
    if (items && items.length > 0) {
      const { majorRevision } = this.cache;
      this.emit('change', { ...this.ref, type, source, majorRevision, items, ts: Date.now() });
    }
  }

  private onEvent(event: MetadataEvent): void {
    if (!this.isMine(event)) {
      return;
    }
    const fit = this.cache.applyEvent(event);
    if (fit === 'applied') {
      this.loaded = true;
      this.emit('change', { ...event, source: 'remote' });
    } else if (fit === 'gap') {
      void this.resync(event.majorRevision);
    }
  }

  /** Re-reads until the cache reaches the newest revision an event announced. */
  private async resync(revision: number): Promise<void> {
    this.wanted = Math.max(this.wanted, revision);
    if (this.resyncing) {
      return;
    }
    this.resyncing = true;
    try {
      while (!this.disposed && this.cache.majorRevision < this.wanted) {
        const before = this.cache.majorRevision;
        await this.get();
        if (this.cache.majorRevision === before) {
          return;
        }
      }
    } catch (error) {
      this.emit('syncError', asRealtimeError(error));
    } finally {
      this.resyncing = false;
    }
  }

  private async afterReconnect(): Promise<void> {
    try {
      if (this.subscribed) {
        await this.link.request('metadata:subscribe', this.ref);
      }
      if (this.subscribed || this.loaded) {
        await this.get();
      }
    } catch (error) {
      this.emit('syncError', asRealtimeError(error));
    }
  }

  private onLockEvent(event: LockEvent): void {
    if (this.isMine(event)) {
      this.emit('lock', event);
    }
  }

  private isMine(event: ChannelRef): boolean {
    return event.channelType === this.ref.channelType && event.channelName === this.ref.channelName;
  }
}
