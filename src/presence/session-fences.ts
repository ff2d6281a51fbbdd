import type { JoinedConn, SessionEnd } from '../socket/socket-types.js';

/**
 * How long this process remembers a session end: longer than a join takes from its
 * atomic step in storage to recording the session on its socket (the storage deadline
 * plus event-loop lag), so an end heard in between still applies.
 */
export const REMEMBER_ENDS_MS = 10_000;

interface HeardEnd {
  end: SessionEnd;
  /** Order of hearing, for marks. */
  seq: number;
  heardAt: number;
}

/** Whether `end` covers the session (see SessionEnd). */
export function covers(end: SessionEnd, session: JoinedConn): boolean {
  return end.kind === 'removed' ? session.joinedAt <= end.joinedAt : session.epoch < end.epoch;
}

/**
 * The session ends this process heard lately, per connection (roomId + connId). A join
 * takes a mark before it calls storage; an end heard after the mark may concern the
 * session the join created (another process took it over, or it was left, while the join
 * was returning), one heard before it cannot.
 */
export class SessionFences {
  /** Per connection; the connection heard from longest ago first. */
  private readonly heard = new Map<string, HeardEnd[]>();
  private seq = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Ends recorded from now on are "after" this mark. */
  mark(): number {
    return this.seq;
  }

  record(key: string, end: SessionEnd): void {
    const heardAt = this.now();
    this.forgetOlderThan(heardAt - REMEMBER_ENDS_MS);
    const ends = this.heard.get(key) ?? [];
    this.heard.delete(key);
    this.heard.set(key, [...ends, { end, seq: ++this.seq, heardAt }]);
  }

  /** Whether an end recorded after `mark` covers the session. */
  endedSince(mark: number, key: string, session: JoinedConn): boolean {
    return (this.heard.get(key) ?? []).some((h) => h.seq > mark && covers(h.end, session));
  }

  private forgetOlderThan(oldest: number): void {
    for (const [key, ends] of this.heard) {
      if (ends[ends.length - 1].heardAt > oldest) {
        return;
      }
      this.heard.delete(key);
    }
  }
}
