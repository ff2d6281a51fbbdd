import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ErrorCode, ServerEvent } from '@avalon-realtime/client/protocol';
import type { AppSocket } from '../socket/socket-types.js';

const TICK_MS = 1000;
/** The `event` of the `server:error` a lapsed token gets (PROTOCOL.md, Handshake). */
const NOTICE_EVENT = 'auth';

/**
 * Disconnects each socket when its token's `exp` plus AUTH_CLOCK_TOLERANCE_S passes, after a
 * `server:error` `{ event: 'auth', code: UNAUTHENTICATED }`.
 *
 * One wheel of one-second buckets and one interval per process instead of a timer per
 * socket: a socket costs one Set entry (sockets whose tokens lapse in the same second share a
 * bucket), a refresh moves it between buckets, and a tick visits only the seconds that just
 * passed. A deadline is honoured within one tick.
 */
@Injectable()
export class TokenExpiryTracker implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TokenExpiryTracker.name);
  private readonly toleranceS: number;
  /** Deadline (epoch second) → the sockets whose token lapses then. */
  private readonly buckets = new Map<number, Set<AppSocket>>();
  private lastTickS = nowS();
  private timer?: NodeJS.Timeout;

  constructor(config: AppConfig) {
    this.toleranceS = config.get('AUTH_CLOCK_TOLERANCE_S');
  }

  onModuleInit(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Holds the socket to `exp` (epoch seconds), replacing the deadline it had. */
  track(socket: AppSocket, exp: number): void {
    this.untrack(socket);
    if (!socket.connected) {
      return; // a refresh that finished after the socket had gone
    }
    socket.data.tokenExp = exp;
    const deadline = this.deadlineOf(exp);
    if (deadline <= this.lastTickS) {
      this.expire(socket); // lapsed between verification and now
      return;
    }
    const bucket = this.buckets.get(deadline);
    if (bucket) {
      bucket.add(socket);
    } else {
      this.buckets.set(deadline, new Set([socket]));
    }
  }

  untrack(socket: AppSocket): void {
    const deadline = this.deadlineOf(socket.data.tokenExp);
    const bucket = this.buckets.get(deadline);
    if (bucket?.delete(socket) && bucket.size === 0) {
      this.buckets.delete(deadline);
    }
  }

  /** jose refuses a token once `now ≥ exp + tolerance` in whole seconds; so does the wheel. */
  private deadlineOf(exp: number): number {
    return Math.ceil(exp) + this.toleranceS;
  }

  private tick(): void {
    const now = nowS();
    for (const second of this.dueSeconds(now)) {
      const bucket = this.buckets.get(second);
      this.buckets.delete(second);
      bucket?.forEach((socket) => this.expire(socket));
    }
    this.lastTickS = now;
  }

  /** The seconds since the last tick; after a long stall, the due buckets instead. */
  private dueSeconds(now: number): number[] {
    if (now - this.lastTickS > this.buckets.size) {
      return [...this.buckets.keys()].filter((second) => second <= now);
    }
    const seconds: number[] = [];
    for (let second = this.lastTickS + 1; second <= now; second++) {
      seconds.push(second);
    }
    return seconds;
  }

  private expire(socket: AppSocket): void {
    if (!socket.connected) {
      return;
    }
    this.logger.log({ msg: 'token expired', socketId: socket.id, userId: socket.data.userId });
    socket.emit(ServerEvent.ServerError, {
      event: NOTICE_EVENT,
      code: ErrorCode.UNAUTHENTICATED,
      message: 'token expired: connect again with a fresh token',
    });
    socket.disconnect(true);
  }
}

const nowS = (): number => Math.floor(Date.now() / 1000);
