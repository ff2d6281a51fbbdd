import {
  activeRoomsKey,
  presenceDoneKey,
  presenceKeyList,
  presenceKeys,
  reaperLeaseKey,
  roomIdFromSeenKey,
  seenKeyPattern,
  userRoomsKey,
} from '../../src/engine/redis/keys.js';

/** The part of a key Redis Cluster hashes: the first non-empty `{...}`, else the whole key. */
function hashedPart(key: string): string {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('presence keys', () => {
  it('builds every room key under the prefix with the room hash tag', () => {
    expect(presenceKeys('prs', 'r1')).toStrictEqual({
      conns: 'prs:{room:r1}:conns',
      states: 'prs:{room:r1}:states',
      seen: 'prs:{room:r1}:seen',
      users: 'prs:{room:r1}:users',
    });
  });

  it('puts all keys of one room in one cluster slot', () => {
    for (const roomId of ['r1', 'lobby:eu-1', 'a.b_c-9']) {
      const hashed = Object.values(presenceKeys('prs', roomId)).map(hashedPart);
      expect(hashed).toStrictEqual(hashed.map(() => `room:${roomId}`));
    }
  });

  it('builds the done key of a write request in the room slot', () => {
    expect(presenceDoneKey('prs', 'r1', 'q-1')).toBe('prs:{room:r1}:done:q-1');
    const all = [...presenceKeyList('prs', 'lobby'), presenceDoneKey('prs', 'lobby', 'q')];
    expect(all.map(hashedPart)).toStrictEqual(all.map(() => 'room:lobby'));
  });

  it('builds the cross-slot keys', () => {
    expect(userRoomsKey('prs', 'u1')).toBe('prs:user:u1:rooms');
    expect(activeRoomsKey('prs')).toBe('prs:rooms');
    expect(reaperLeaseKey('prs')).toBe('prs:reaper:lease');
    expect(activeRoomsKey('t-1')).toBe('t-1:rooms');
  });

  it('finds roomIds back from seen keys and escapes the prefix for SCAN', () => {
    expect(roomIdFromSeenKey('prs', presenceKeys('prs', 'lobby:1').seen)).toBe('lobby:1');
    expect(roomIdFromSeenKey('prs', 'prs:{room:r1}:conns')).toBeUndefined();
    expect(roomIdFromSeenKey('prs', 'other:{room:r1}:seen')).toBeUndefined();
    expect(seenKeyPattern('prs')).toBe('prs:{room:*}:seen');
    expect(seenKeyPattern('a*b')).toBe('a\\*b:{room:*}:seen');
  });
});
