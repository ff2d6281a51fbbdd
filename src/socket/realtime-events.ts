import { Injectable } from '@nestjs/common';
import type { ServerToClientEvents } from '../common/protocol/index.js';
import { roomChannel } from './channels.js';
import type { AppServer } from './socket-types.js';

type Payload<K extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[K]>[0];

/**
 * The only code that broadcasts. The Socket.IO adapter carries each emit to every
 * process (the Redis adapter when REDIS_URL is set), once per change.
 */
@Injectable()
export class RealtimeEvents {
  private server?: AppServer;

  bind(server: AppServer): void {
    this.server = server;
  }

  /** To every socket in the room on every process, except `exceptSocketId`. */
  toRoom<K extends keyof ServerToClientEvents>(
    roomId: string,
    event: K,
    payload: Payload<K>,
    exceptSocketId?: string,
  ): void {
    const server = this.requireServer();
    const target = server.to(roomChannel(roomId));
    const args = [payload] as Parameters<ServerToClientEvents[K]>;
    (exceptSocketId ? target.except(exceptSocketId) : target).emit(event, ...args);
  }

  /** To every socket connected to this process. */
  toLocal<K extends keyof ServerToClientEvents>(event: K, payload: Payload<K>): void {
    const args = [payload] as Parameters<ServerToClientEvents[K]>;
    this.requireServer().local.emit(event, ...args);
  }

  private requireServer(): AppServer {
    if (!this.server) {
      throw new Error('RealtimeEvents used before the Socket.IO server was bound');
    }
    return this.server;
  }
}
