/**
 * A lease in one process (the reaper's, the turn timers'): the memory twin of
 * reaper-lease.lua. At most one holder at a time; only the holder extends it.
 */
export class MemoryLease {
  private held?: { holder: string; until: number };

  /** Takes or renews the lease for `holder` until `now + ttlMs`; false while another holds it. */
  acquire(holder: string, ttlMs: number, now: number): boolean {
    if (this.held && this.held.until > now && this.held.holder !== holder) {
      return false;
    }
    this.held = { holder, until: now + ttlMs };
    return true;
  }
}
