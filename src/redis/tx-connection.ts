import type { Redis } from 'ioredis';

/**
 * A dedicated connection for WATCH/MULTI/EXEC. WATCH lives on the server side of one TCP
 * connection, so the transaction must know whether the socket it watched on is still the
 * one that will carry EXEC: `generation` counts every close of this client.
 */
export class TxConnection {
  private generation = 0;
  private watchOpen = false;

  constructor(readonly redis: Redis) {
    for (const event of ['close', 'end', 'reconnecting']) {
      redis.on(event, () => this.generation++);
    }
  }

  /** Call right before sending WATCH; returns what `intact` checks before EXEC. */
  watching(): number {
    this.watchOpen = true;
    return this.generation;
  }

  /** EXEC, DISCARD or UNWATCH answered: nothing is watched any more. */
  unwatched(): void {
    this.watchOpen = false;
  }

  /** A WATCH may still be open (the work stopped between WATCH and EXEC). */
  get watchMayBeOpen(): boolean {
    return this.watchOpen;
  }

  /** The connection that carried the WATCH of `generation` is still up: EXEC is safe. */
  intact(generation: number): boolean {
    return this.generation === generation && this.redis.status === 'ready';
  }

  /** The current generation, for callers that check `intact` later. */
  get current(): number {
    return this.generation;
  }
}
