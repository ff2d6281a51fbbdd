import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { createPool, type Pool } from 'generic-pool';
import { Redis } from 'ioredis';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '@avalon-realtime/client/protocol';
import { TxConnection } from './tx-connection.js';

export interface TransactionPoolOptions {
  url: string;
  /** Connections at most (REDIS_POOL_SIZE). */
  size: number;
  /** Longest wait for a free connection; past it the caller gets BUSY. */
  acquireTimeoutMs: number;
  /** Deadline of every command, and of connecting. */
  commandTimeoutMs: number;
  /** Connection name shown by CLIENT LIST. */
  name: string;
}

/**
 * Disconnects unless already closed: ioredis arms a 2 s timer on disconnect() that only
 * the socket's close event clears, so on a dead socket it would linger (and hold the
 * process open) for nothing.
 */
function closeClient(redis: Redis): void {
  if (redis.status !== 'end' && redis.status !== 'close') {
    redis.disconnect();
  }
}

/** Longest pause between two failed attempts to open a connection. */
const MAX_CREATE_BACKOFF_MS = 1000;

/**
 * A pool of TxConnections (DESIGN: WATCH is per connection, never on the shared client).
 * Connections never reconnect and never replay: a dropped one is destroyed and replaced,
 * so an EXEC can never run on a new socket that lacks its WATCH.
 */
export class TransactionPool {
  private readonly logger = new Logger(TransactionPool.name);
  private readonly pool: Pool<TxConnection>;
  /** Consecutive failed connects: drives the backoff and tells UNAVAILABLE from BUSY. */
  private createFailures = 0;
  /** Every open connection, lent or idle, so a shutdown can drop them all. */
  private readonly connections = new Set<TxConnection>();

  constructor(private readonly options: TransactionPoolOptions) {
    this.pool = createPool<TxConnection>(
      {
        create: () => this.create(),
        destroy: (conn) => {
          this.connections.delete(conn);
          closeClient(conn.redis);
          return Promise.resolve();
        },
        validate: (conn) => Promise.resolve(conn.redis.status === 'ready'),
      },
      {
        max: options.size,
        min: 0,
        acquireTimeoutMillis: options.acquireTimeoutMs,
        testOnBorrow: true,
      },
    );
  }

  /**
   * Runs `work` on a connection of its own and returns the connection clean: a WATCH left
   * open is UNWATCHed; a connection that failed, dropped, or threw anything but an
   * AppError is destroyed instead of reused. No free connection in time: BUSY (or
   * UNAVAILABLE when connections cannot be opened at all).
   */
  async use<T>(work: (conn: TxConnection) => Promise<T>): Promise<T> {
    const conn = await this.acquire();
    const generation = conn.current;
    let healthy = true;
    try {
      return await work(conn);
    } catch (err) {
      healthy = err instanceof AppError;
      throw err;
    } finally {
      await this.giveBack(conn, generation, healthy);
    }
  }

  /** Sizes for readiness and metrics. */
  stats(): { size: number; available: number; borrowed: number; pending: number } {
    const { size, available, borrowed, pending } = this.pool;
    return { size, available, borrowed, pending };
  }

  /**
   * Shutdown: waits for borrowed connections to come back, then closes them all. The
   * caller bounds the wait (a transaction stuck on a stopped Redis never returns its
   * connection) and then calls close().
   */
  async drain(): Promise<void> {
    await this.pool.drain();
    await this.pool.clear();
  }

  /** Shutdown, past the drain's deadline: drops every connection, borrowed ones too. */
  close(): void {
    for (const conn of this.connections) {
      closeClient(conn.redis);
    }
  }

  private async acquire(): Promise<TxConnection> {
    try {
      return await this.pool.acquire();
    } catch (err) {
      // Every connection lent out to other writes is contention: BUSY, nothing written.
      // A wait spent on connections that do not open (Redis away or frozen) is not.
      const exhausted = this.pool.borrowed >= this.options.size && this.createFailures === 0;
      if (err instanceof Error && err.name === 'TimeoutError' && exhausted) {
        throw new AppError(ErrorCode.BUSY, 'storage busy: no connection free');
      }
      throw new AppError(ErrorCode.UNAVAILABLE, 'storage unavailable');
    }
  }

  private async giveBack(conn: TxConnection, generation: number, healthy: boolean): Promise<void> {
    let clean = healthy;
    if (clean && conn.watchMayBeOpen) {
      try {
        await conn.redis.unwatch();
        conn.unwatched();
      } catch {
        clean = false;
      }
    }
    const back =
      clean && conn.intact(generation) ? this.pool.release(conn) : this.pool.destroy(conn);
    // Either way the slot is free again; a failure here only concerns a dead connection.
    await back.catch((err: unknown) => this.logger.debug({ msg: 'pool return failed', err }));
  }

  private async create(): Promise<TxConnection> {
    if (this.createFailures > 0) {
      // generic-pool retries a failed create at once; without a pause that is a busy loop.
      await sleep(Math.min(25 * 2 ** this.createFailures, MAX_CREATE_BACKOFF_MS));
    }
    const { url, commandTimeoutMs, name } = this.options;
    const redis = new Redis(url, {
      protocol: 2,
      connectionName: name,
      lazyConnect: true,
      connectTimeout: commandTimeoutMs,
      commandTimeout: commandTimeoutMs,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      // Never reconnect: the pool replaces a dropped connection (see the class comment).
      retryStrategy: () => null,
    });
    // Without an error listener an ioredis error would crash the process.
    redis.on('error', (err: Error) =>
      this.logger.debug({ msg: 'transaction connection error', err: err.message }),
    );
    const conn = new TxConnection(redis);
    try {
      await redis.connect();
    } catch (err) {
      this.createFailures++;
      closeClient(redis);
      throw err;
    }
    this.createFailures = 0;
    this.connections.add(conn);
    return conn;
  }
}
