import { Injectable } from '@nestjs/common';
import { StorageBackend } from '../engine/storage-backend.js';
import { RealtimeMetrics } from '../metrics/realtime.metrics.js';
import type { ChannelRef, ServerToClientEvents } from '@avalon-realtime/client/protocol';
import { roomChannel, userMetaChannel } from './channels.js';
import type { AppServer, AppSocket, InterServerEvents } from './socket-types.js';

type Payload<K extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[K]>[0];
type ProcessEvent = keyof InterServerEvents;
type ProcessHandler = InterServerEvents[ProcessEvent];

/** Socket.IO's typed `on` takes one event's handler type at a time; the pairs are kept typed. */
const listen = (server: AppServer, event: ProcessEvent, handler: ProcessHandler): void => {
  (server as unknown as { on(event: string, handler: ProcessHandler): void }).on(event, handler);
};

/**
 * The only code that broadcasts. The Socket.IO adapter carries each emit to every
 * process (the Redis adapter when Redis is configured), once per change.
 */
@Injectable()
export class RealtimeEvents {
  private server?: AppServer;
  /** Handlers registered before the server was bound, attached when it is. */
  private readonly processHandlers: [ProcessEvent, ProcessHandler][] = [];

  constructor(
    private readonly metrics: RealtimeMetrics,
    private readonly storage: StorageBackend,
  ) {}

  bind(server: AppServer): void {
    this.server = server;
    for (const [event, handler] of this.processHandlers.splice(0)) {
      listen(server, event, handler);
    }
  }

  /**
   * Resolves once broadcasts to `audience` (a room or channel a local socket just joined)
   * from other processes reach this one: on a Redis Cluster each has its own sharded
   * subscription, which must be active before the join is acknowledged.
   */
  listening(audience: string): Promise<void> {
    return this.storage.subscribed(audience);
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

  /**
   * A broadcast whose payload differs per socket (a game view): counted once, here, where
   * the change happened; each process, this one now and the others on a toOtherProcesses
   * event, sends its own sockets their payloads with toEachLocalInRoom.
   */
  toEachInRoom<K extends keyof ServerToClientEvents>(
    roomId: string,
    event: K,
    payloadFor: (socket: AppSocket) => Payload<K> | null,
  ): void {
    this.metrics.broadcasts.inc({ event });
    this.toEachLocalInRoom(roomId, event, payloadFor);
  }

  /** To each socket in the room on this process only, each its own payload (null: none). */
  toEachLocalInRoom<K extends keyof ServerToClientEvents>(
    roomId: string,
    event: K,
    payloadFor: (socket: AppSocket) => Payload<K> | null,
  ): void {
    const namespace = this.requireServer().of('/');
    for (const socketId of namespace.adapter.rooms.get(roomChannel(roomId)) ?? []) {
      const socket = namespace.sockets.get(socketId);
      const payload = socket && payloadFor(socket);
      if (payload) {
        socket.emit(event, ...([payload] as Parameters<ServerToClientEvents[K]>));
      }
    }
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

  /**
   * To every other server process, through the adapter's serverSideEmit. Published on the
   * same Redis connection as the broadcasts, so each process handles it before any
   * broadcast this process sends afterwards. The memory engine runs one process: no-op.
   */
  toOtherProcesses<E extends ProcessEvent>(
    event: E,
    ...args: Parameters<InterServerEvents[E]>
  ): void {
    if (this.storage.name === 'redis') {
      const emit = this.requireServer().serverSideEmit.bind(this.requireServer()) as (
        event: E,
        ...args: Parameters<InterServerEvents[E]>
      ) => boolean;
      emit(event, ...args);
    }
  }

  /** Handles what another process sent with toOtherProcesses (never what this one sent). */
  onOtherProcesses<E extends ProcessEvent>(event: E, handler: InterServerEvents[E]): void {
    if (this.server) {
      listen(this.server, event, handler);
    } else {
      this.processHandlers.push([event, handler]);
    }
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
