import type { MetadataEvent, MetadataItem } from '@avalon-realtime/client';
import { MetadataCache, jsonEqual } from '../../packages/client/src/metadata-cache.js';

const item = (key: string, value: unknown, revision: number): MetadataItem => ({
  key,
  value: value as never,
  revision,
  updatedAt: 1000 + revision,
  authorUserId: 'u',
});

const event = (majorRevision: number, items: MetadataEvent['items']): MetadataEvent => ({
  channelType: 'room',
  channelName: 'r',
  type: 'set',
  majorRevision,
  items,
  authorUserId: 'u',
  ts: 0,
});

describe('MetadataCache', () => {
  it('applies only the next revision: older is stale, later is a gap', () => {
    const cache = new MetadataCache();
    expect(cache.applyEvent(event(1, [item('a', 1, 1)]))).toBe('applied');
    expect(cache.applyEvent(event(1, [item('a', 9, 9)]))).toBe('stale');
    expect(cache.applyEvent(event(3, [item('a', 3, 3)]))).toBe('gap');
    expect(cache.applyEvent(event(2, [{ key: 'a' }]))).toBe('applied');
    expect(cache.items.size).toBe(0);
    expect(cache.majorRevision).toBe(2);
  });

  it('takes a newer snapshot and reports what changed; an older one only when forced', () => {
    const cache = new MetadataCache();
    cache.replace({ majorRevision: 2, items: [item('a', 1, 1), item('b', 1, 2)] });
    const changed = cache.replace({ majorRevision: 3, items: [item('a', 1, 1), item('c', 1, 1)] });
    expect(changed).toEqual([item('c', 1, 1), { key: 'b' }]);
    expect(cache.replace({ majorRevision: 1, items: [] })).toBeUndefined();
    expect(cache.items.size).toBe(2);
    // A channel that was reset (retention passed) starts again at a lower revision.
    expect(cache.replace({ majorRevision: 1, items: [] }, true)).toHaveLength(2);
    expect(cache.majorRevision).toBe(1);
  });
});

describe('jsonEqual', () => {
  it('compares JSON values structurally, ignoring key order', () => {
    expect(jsonEqual({ a: [1, { b: null }], c: 'x' }, { c: 'x', a: [1, { b: null }] })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(jsonEqual(1, '1')).toBe(false);
  });
});
