import { Injectable } from '@nestjs/common';
import { RealtimeMetrics } from '../metrics/realtime.metrics.js';
import type { ChannelRef, ServerToClientEvents } from '../common/protocol/index.js';
import { roomChannel, userMetaChannel } from './channels.js';
import type { AppServer, AppSocket } from './socket-types.js';

type Payload<K extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[K]>[0];

/**
 * The only code that broadcasts. The Socket.IO adapter carries each emit to every
 * process (the Redis adapter when REDIS_URL is set), once per change.
 */
@Injectable()
export class RealtimeEvents {
  private server?: AppServer;

  constructor(private readonly metrics: RealtimeMetrics) {}

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
    this.toAudience(roomChannel(roomId), event, payload, exceptSocketId);
  }

  /** To a channel's audience: a room channel's room, a user channel's subscribers. */
  toChannel<K extends keyof ServerToClientEvents>(
    channel: ChannelRef,
    event: K,
    payload: Payload<K>,
    exceptSocketId?: string,
  ): void {
    const audience =
      channel.channelType === 'room'
        ? roomChannel(channel.channelName)
        : userMetaChannel(channel.channelName);
    this.toAudience(audience, event, payload, exceptSocketId);
  }

  private toAudience<K extends keyof ServerToClientEvents>(
    audience: string,
    event: K,
    payload: Payload<K>,
    exceptSocketId?: string,
  ): void {
    const server = this.requireServer();
    this.metrics.broadcasts.inc({ event });
    const target = server.to(audience);
    const args = [payload] as Parameters<ServerToClientEvents[K]>;
    (exceptSocketId ? target.except(exceptSocketId) : target).emit(event, ...args);
  }

  /** To every socket connected to this process. */
  toLocal<K extends keyof ServerToClientEvents>(event: K, payload: Payload<K>): void {
    const args = [payload] as Parameters<ServerToClientEvents[K]>;
    this.requireServer().local.emit(event, ...args);
  }

  /** The sockets connected to this process. */
  localSockets(): AppSocket[] {
    return [...(this.server?.of('/').sockets.values() ?? [])];
  }

  /** Sockets connected to this process, and game rooms with at least one of them. */
  localStats(): { connections: number; rooms: number } {
    const namespace = this.server?.of('/');
    let rooms = 0;
    for (const name of namespace?.adapter.rooms.keys() ?? []) {
      rooms += name.startsWith(roomChannel('')) ? 1 : 0;
    }
    return { connections: namespace?.sockets.size ?? 0, rooms };
  }

  private requireServer(): AppServer {
    if (!this.server) {
      throw new Error('RealtimeEvents used before the Socket.IO server was bound');
    }
    return this.server;
  }
}
