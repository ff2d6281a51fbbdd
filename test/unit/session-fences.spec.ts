import { REMEMBER_ENDS_MS, SessionFences } from '../../src/presence/session-fences.js';
import type { JoinedConn } from '../../src/socket/socket-types.js';

const KEY = 'room-1\u0000conn-1';
const session = (epoch: number, joinedAt = 1000): JoinedConn => ({
  roomId: 'room-1',
  connId: 'conn-1',
  epoch,
  joinedAt,
});
const superseded = (epoch: number) =>
  ({ roomId: 'room-1', connId: 'conn-1', kind: 'superseded', epoch }) as const;
const removed = (joinedAt: number) =>
  ({ roomId: 'room-1', connId: 'conn-1', kind: 'removed', joinedAt }) as const;

describe('session fences', () => {
  let clock = 0;
  let fences: SessionFences;

  beforeEach(() => {
    clock = 0;
    fences = new SessionFences(() => clock);
  });

  it('covers sessions below a newer epoch, never that epoch or later ones', () => {
    const mark = fences.mark();
    fences.record(KEY, superseded(1005));
    expect(fences.endedSince(mark, KEY, session(1004))).toBe(true);
    expect(fences.endedSince(mark, KEY, session(1005))).toBe(false);
    expect(fences.endedSince(mark, KEY, session(1006))).toBe(false);
  });

  it('covers every session of a removed connection and of earlier ones, not of a later one', () => {
    const mark = fences.mark();
    fences.record(KEY, removed(1000));
    expect(fences.endedSince(mark, KEY, session(1003, 1000))).toBe(true);
    expect(fences.endedSince(mark, KEY, session(1004, 1004))).toBe(false);
    expect(fences.endedSince(mark, KEY, session(990, 990))).toBe(true);
  });

  it('ignores ends heard before the mark, and other connections', () => {
    fences.record(KEY, removed(1000));
    const mark = fences.mark();
    expect(fences.endedSince(mark, KEY, session(1000, 1000))).toBe(false);
    fences.record('room-1\u0000conn-2', superseded(2000));
    expect(fences.endedSince(mark, KEY, session(1000, 1000))).toBe(false);
  });

  it('forgets ends after REMEMBER_ENDS_MS', () => {
    const mark = fences.mark();
    fences.record(KEY, superseded(1005));
    clock += REMEMBER_ENDS_MS + 1;
    fences.record('room-1\u0000conn-2', superseded(2000));
    expect(fences.endedSince(mark, KEY, session(1004))).toBe(false);
  });
});
