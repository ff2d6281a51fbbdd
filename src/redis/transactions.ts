import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '@avalon-realtime/client/protocol';
import { within } from '../shutdown/shutdown-budget.js';
import { TransactionPool, type TransactionPoolOptions } from './transaction-pool.js';
import type { TxConnection } from './tx-connection.js';

/**
 * Where WATCH/MULTI/EXEC runs: a dedicated connection to the server that owns the key.
 * On one Redis that is one pool; on a cluster, one pool per master, chosen by the key's
 * slot, and a redirect (MOVED, ASK, a failover) refreshes the slot map before a retry.
 */
export interface Transactions {
  use<T>(key: string, work: (conn: TxConnection) => Promise<T>): Promise<T>;
  /** A transaction was redirected: learn the cluster's slots again. */
  redirected(): Promise<void>;
  /** Shutdown: waits for lent connections (the caller bounds it), then closes. */
  drain(): Promise<void>;
  close(): void;
}

export type PoolSettings = Omit<TransactionPoolOptions, 'url'>;

/** One Redis server: one pool. */
export class ServerTransactions implements Transactions {
  constructor(private readonly pool: TransactionPool) {}

  use<T>(_key: string, work: (conn: TxConnection) => Promise<T>): Promise<T> {
    return this.pool.use(work);
  }

  redirected(): Promise<void> {
    return Promise.resolve();
  }

  drain(): Promise<void> {
    return this.pool.drain();
  }

  close(): void {
    this.pool.close();
  }
}

/** One pool per master the cluster client knows, opened when a key first needs it. */
export class ClusterTransactions implements Transactions {
  private readonly pools = new Map<string, TransactionPool>();

  constructor(
    private readonly cluster: Cluster,
    private readonly settings: PoolSettings,
  ) {}

  async use<T>(key: string, work: (conn: TxConnection) => Promise<T>): Promise<T> {
    return this.poolOf(key).use(work);
  }

  /** Refreshes the slot map, waiting no longer than one command's deadline for it. */
  async redirected(): Promise<void> {
    const refreshed = new Promise<void>((resolve) =>
      this.cluster.refreshSlotsCache(() => resolve()),
    );
    await within(refreshed, this.settings.commandTimeoutMs);
  }

  async drain(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.drain()));
  }

  close(): void {
    this.pools.forEach((pool) => pool.close());
  }

  /** The pool of the master serving the key's slot, as the cluster client last learnt it. */
  private poolOf(key: string): TransactionPool {
    const node = this.cluster.slots[calculateSlot(key)]?.[0];
    if (!node) {
      // No slot map yet (or the slot is unserved): nowhere to WATCH, nothing written.
      throw new AppError(ErrorCode.UNAVAILABLE, 'storage unavailable');
    }
    let pool = this.pools.get(node);
    if (!pool) {
      pool = new TransactionPool({ ...this.settings, url: `redis://${node}` });
      this.pools.set(node, pool);
    }
    return pool;
  }
}
