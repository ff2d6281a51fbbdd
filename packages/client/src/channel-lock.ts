import { backoffDelay } from './backoff.js';
import { Emitter } from './emitter.js';
import { RealtimeError } from './errors.js';
import type { ClientLink } from './link.js';
import { ErrorCode, type ChannelRef, type LockGrant } from './protocol/index.js';

export interface LockOptions {
  /** Lease length, 1000–300000 ms (PROTOCOL "Locks"). */
  ttlMs: number;
  /** Renew a third of the TTL before it lapses, until release() or loss. Default true. */
  autoRenew?: boolean;
}

export interface ChannelLockEvents {
  /** A renewal succeeded; `expiresAt` is the new server expiry. */
  renewed: (expiresAt: number) => void;
  /**
   * The lock is no longer ours: a renewal answered LOCK_NOT_HELD (e.g. its holder left the
   * room), or renewals kept failing until the lease ran out. Renewal has stopped.
   */
  lost: (error: RealtimeError) => void;
}

/** Pause between renewal attempts that failed for a reason other than LOCK_NOT_HELD. */
const RETRY = { minDelayMs: 100, maxDelayMs: 1000 };

/**
 * A held lease lock. `token` is the fencing token: pass it along with whatever the lock
 * protects, so a holder that lost the lock can be refused by the token's reader.
 */
export class ChannelLock extends Emitter<ChannelLockEvents> {
  readonly lockName: string;
  /** The user holding the lock. */
  readonly owner: string;
  /** Fencing token: only ever grows for this lock name; kept by renewals. */
  readonly token: number;
  /** Server expiry (epoch ms), moved on by each renewal. */
  expiresAt: number;
  private state: 'held' | 'released' | 'lost' = 'held';
  private timer?: ReturnType<typeof setTimeout>;
  /** Local clock time by which the lease has surely lapsed if no renewal succeeded. */
  private lapsesAt: number;

  /** @internal Built by ChannelMetadataClient.lock(). */
  constructor(
    private readonly link: ClientLink,
    private readonly ref: ChannelRef,
    grant: LockGrant,
    private readonly ttlMs: number,
    sentAt: number,
    private readonly onEnd: (lock: ChannelLock) => void,
    autoRenew: boolean,
  ) {
    super();
    this.lockName = grant.lockName;
    this.owner = grant.owner;
    this.token = grant.token;
    this.expiresAt = grant.expiresAt;
    this.lapsesAt = sentAt + ttlMs;
    if (autoRenew) {
      this.schedule(sentAt + (ttlMs * 2) / 3 - Date.now());
    }
  }

  /** True until release() or loss. */
  get held(): boolean {
    return this.state === 'held';
  }

  /** Stops renewing and releases the lock; a lock already lost resolves too. */
  async release(): Promise<void> {
    if (this.state !== 'held') {
      return;
    }
    this.end('released');
    try {
      await this.link.request('lock:release', { ...this.ref, lockName: this.lockName });
    } catch (error) {
      if (!(error instanceof RealtimeError && error.code === ErrorCode.LOCK_NOT_HELD)) {
        throw error;
      }
    }
  }

  /** @internal Stops renewing without telling the server (the client is closing). */
  dispose(): void {
    if (this.state === 'held') {
      this.end('released');
    }
    this.removeAllListeners();
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => void this.renew(0), Math.max(0, delayMs));
  }

  private async renew(failures: number): Promise<void> {
    const sentAt = Date.now();
    try {
      const { expiresAt } = await this.link.request('lock:renew', {
        ...this.ref,
        lockName: this.lockName,
        ttlMs: this.ttlMs,
      });
      if (this.state !== 'held') {
        return;
      }
      this.expiresAt = expiresAt;
      this.lapsesAt = sentAt + this.ttlMs;
      this.schedule(sentAt + (this.ttlMs * 2) / 3 - Date.now());
      this.emit('renewed', expiresAt);
    } catch (error) {
      this.renewFailed(asRealtimeError(error), failures);
    }
  }

  private renewFailed(error: RealtimeError, failures: number): void {
    if (this.state !== 'held') {
      return;
    }
    const retryAt = Date.now() + backoffDelay(failures, RETRY);
    if (error.code === ErrorCode.LOCK_NOT_HELD || retryAt >= this.lapsesAt) {
      this.end('lost');
      this.emit('lost', error);
      return;
    }
    this.timer = setTimeout(() => void this.renew(failures + 1), retryAt - Date.now());
  }

  private end(state: 'released' | 'lost'): void {
    this.state = state;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.onEnd(this);
  }
}

export function asRealtimeError(error: unknown): RealtimeError {
  if (error instanceof RealtimeError) {
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RealtimeError(ErrorCode.UNAVAILABLE, message);
}
