import type { MetadataEvent, MetadataItem } from './protocol/index.js';

/** What changed in the cache: changed items as now stored, removed items as `{ key }`. */
export type ChangedItems = (MetadataItem | { key: string })[];

/** How an event relates to the cache. */
export type EventFit = 'applied' | 'stale' | 'gap';

/**
 * One channel's items as last known, ordered by majorRevision: a write ack or a read
 * replaces the whole state, an event applies only the items it names, and only when it is
 * the very next revision.
 */
export class MetadataCache {
  readonly items = new Map<string, MetadataItem>();
  majorRevision = 0;
  /** Counts every change, so a read can tell whether something newer landed meanwhile. */
  mutations = 0;

  /** Applies a `metadata:event`: the next revision only; older ones are stale, newer a gap. */
  applyEvent(event: MetadataEvent): EventFit {
    if (event.majorRevision <= this.majorRevision) {
      return 'stale';
    }
    if (event.majorRevision > this.majorRevision + 1) {
      return 'gap';
    }
    for (const item of event.items) {
      if (isItem(item)) {
        this.items.set(item.key, item);
      } else {
        this.items.delete(item.key);
      }
    }
    this.majorRevision = event.majorRevision;
    this.mutations++;
    return 'applied';
  }

  /**
   * Replaces the state with a whole snapshot (a write ack or a read) when it is newer, or
   * when `force` (a read that nothing newer overtook: the channel may have been reset).
   * Returns what changed, or undefined when the snapshot was not taken.
   */
  replace(
    snapshot: { majorRevision: number; items: MetadataItem[] },
    force = false,
  ): ChangedItems | undefined {
    if (snapshot.majorRevision <= this.majorRevision && !force) {
      return undefined;
    }
    const changed: ChangedItems = [];
    const next = new Map(snapshot.items.map((item) => [item.key, item]));
    for (const item of snapshot.items) {
      const before = this.items.get(item.key);
      if (!before || before.revision !== item.revision || before.updatedAt !== item.updatedAt) {
        changed.push(item);
      }
    }
    for (const key of this.items.keys()) {
      if (!next.has(key)) {
        changed.push({ key });
      }
    }
    const revisionChanged = snapshot.majorRevision !== this.majorRevision;
    this.items.clear();
    next.forEach((item, key) => this.items.set(key, item));
    this.majorRevision = snapshot.majorRevision;
    if (changed.length > 0 || revisionChanged) {
      this.mutations++;
    }
    return changed;
  }
}

export function isItem(item: MetadataItem | { key: string }): item is MetadataItem {
  return 'revision' in item;
}

/** Structural equality of JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((value, i) => jsonEqual(value, b[i]))
    );
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every(
      (key) => Object.prototype.hasOwnProperty.call(right, key) && jsonEqual(left[key], right[key]),
    )
  );
}
