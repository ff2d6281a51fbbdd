import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { PresenceEngine, type HeartbeatCommand } from '../engine/presence.engine.js';
import { HeartbeatBatcher, type SentHeartbeat } from './heartbeat-batcher.js';

/** Sends heartbeats as PRESENCE_HEARTBEAT_MODE says: one call each (`lua`) or in batches. */
@Injectable()
export class HeartbeatSender implements OnApplicationShutdown {
  private readonly batcher?: HeartbeatBatcher;

  constructor(
    private readonly engine: PresenceEngine,
    config: AppConfig,
  ) {
    if (config.get('PRESENCE_HEARTBEAT_MODE') === 'batched') {
      this.batcher = new HeartbeatBatcher(
        (cmds) => engine.heartbeatMany(cmds),
        config.get('HEARTBEAT_BATCH_WINDOW_MS'),
        config.get('HEARTBEAT_MAX_BATCH_SIZE'),
      );
    }
  }

  async send(cmd: HeartbeatCommand): Promise<SentHeartbeat> {
    if (this.batcher) {
      return this.batcher.submit(cmd);
    }
    return { outcome: await this.engine.heartbeat(cmd), announce: true };
  }

  /** Pending heartbeats are answered before the engine closes. */
  async onApplicationShutdown(): Promise<void> {
    await this.batcher?.drain();
  }
}
