import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Deadline } from '../common/deadline.js';
import { withDeadline } from '../common/storage-deadline.js';
import { AppConfig } from '../config/app-config.js';
import { RealtimeMetrics } from '../metrics/realtime.metrics.js';
import { PresenceEngine, type HeartbeatCommand } from '../engine/presence.engine.js';
import { HeartbeatBatcher, type SentHeartbeat } from './heartbeat-batcher.js';

/** Sends heartbeats as PRESENCE_HEARTBEAT_MODE says: one call each (`lua`) or in batches. */
@Injectable()
export class HeartbeatSender implements OnApplicationShutdown {
  private readonly batcher?: HeartbeatBatcher;
  /** Lua mode: the last heartbeat in flight per session, so one session's beats go in order. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly engine: PresenceEngine,
    private readonly config: AppConfig,
    metrics: RealtimeMetrics,
  ) {
    if (config.get('PRESENCE_HEARTBEAT_MODE') === 'batched') {
      this.batcher = new HeartbeatBatcher(
        (cmds) => engine.heartbeatMany(cmds),
        config.get('HEARTBEAT_BATCH_WINDOW_MS'),
        config.get('HEARTBEAT_MAX_BATCH_SIZE'),
        (size) => metrics.heartbeatBatchSize.observe(size),
      );
    }
  }

  async send(cmd: HeartbeatCommand): Promise<SentHeartbeat> {
    if (this.batcher) {
      return this.batcher.submit(cmd);
    }
    if (this.engine.completesInCall) {
      // In-process storage: done before it returns, so in order and never late.
      return { outcome: await this.engine.heartbeat(cmd), announce: true };
    }
    // One deadline, from submission: the wait for the session's previous beat counts, and
    // the engine's own deadline joins this one instead of starting afresh.
    const timeoutMs = this.config.get('REDIS_COMMAND_TIMEOUT_MS');
    const outcome = await withDeadline(timeoutMs, (deadline) => this.inOrder(cmd, deadline));
    return { outcome, announce: true };
  }

  /**
   * Sends after the session's previous heartbeat settles: back-to-back patches then apply
   * to each other's result instead of racing on the stored state.
   */
  private inOrder(cmd: HeartbeatCommand, deadline: Deadline) {
    const key = `${cmd.roomId}\u0000${cmd.connId}`;
    const previous = this.tails.get(key);
    // Nothing in flight for the session (the usual case): sent at once.
    const sent = previous
      ? previous.catch(() => undefined).then(() => this.engine.heartbeat(cmd, deadline))
      : this.engine.heartbeat(cmd, deadline);
    this.tails.set(key, sent);
    const forget = () => {
      if (this.tails.get(key) === sent) {
        this.tails.delete(key);
      }
    };
    sent.then(forget, forget);
    return sent;
  }

  /** Sends what waits in the batch and resolves when every heartbeat in flight is answered. */
  async drain(): Promise<void> {
    const pending: Promise<unknown>[] = [...this.tails.values()];
    if (this.batcher) {
      pending.push(this.batcher.drain());
    }
    await Promise.allSettled(pending);
  }

  /** Pending heartbeats are answered before the engine closes. */
  async onApplicationShutdown(): Promise<void> {
    await this.drain();
  }
}
