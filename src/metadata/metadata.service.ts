import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error.js';
import {
  ErrorCode,
  ServerEvent,
  type ChannelRef,
  type MetadataSnapshot,
  type MetadataWriteResult,
} from '@avalon-realtime/client/protocol';
import { AppConfig } from '../config/app-config.js';
import { MetadataEngine, type WriteKind } from '../engine/metadata.engine.js';
import { RealtimeMetrics } from '../metrics/realtime.metrics.js';
import { userMetaChannel } from '../socket/channels.js';
import { RealtimeEvents } from '../socket/realtime-events.js';
import type { AppSocket } from '../socket/socket-types.js';
import { ChannelAccess } from './channel-access.js';
import { channelOf } from './channel.dto.js';
import type { MetadataRemoveDto, MetadataWriteDto } from './metadata.dto.js';

/** Channel metadata: access rules, then one atomic write, then one event with the changed items. */
@Injectable()
export class MetadataService {
  /** The user channels each socket subscribed to (dropped with the socket). */
  private readonly subscriptions = new WeakMap<AppSocket, Set<string>>();

  constructor(
    private readonly engine: MetadataEngine,
    private readonly access: ChannelAccess,
    private readonly events: RealtimeEvents,
    private readonly metrics: RealtimeMetrics,
    private readonly config: AppConfig,
  ) {}

  async get(socket: AppSocket, dto: ChannelRef): Promise<MetadataSnapshot> {
    const channel = channelOf(dto);
    await this.access.assertRead(channel, socket.data.userId);
    return this.engine.read(channel);
  }

  write(socket: AppSocket, kind: 'set' | 'update', dto: MetadataWriteDto) {
    const items = dto.items.map(({ key, value, revision }) => ({ key, value, revision }));
    return this.apply(socket, kind, dto, { items });
  }

  remove(socket: AppSocket, dto: MetadataRemoveDto) {
    return this.apply(socket, 'remove', dto, { keys: dto.keys });
  }

  /**
   * At most MAX_SUBSCRIPTIONS_PER_SOCKET user channels per socket. The slot is taken
   * before the first await, so concurrent subscribes cannot overshoot; unsubscribe frees
   * it, and a socket's slots go with the socket.
   */
  async subscribe(socket: AppSocket, dto: ChannelRef): Promise<Record<string, never>> {
    const userId = this.userChannel(dto);
    const subscribed = this.subscriptionsOf(socket);
    if (!subscribed.has(userId)) {
      if (subscribed.size >= this.config.get('MAX_SUBSCRIPTIONS_PER_SOCKET')) {
        throw new AppError(
          ErrorCode.RATE_LIMITED,
          'this socket has too many subscriptions: unsubscribe one first',
        );
      }
      subscribed.add(userId);
    }
    await socket.join(userMetaChannel(userId));
    await this.events.listening(userMetaChannel(userId));
    return {};
  }

  async unsubscribe(socket: AppSocket, dto: ChannelRef): Promise<Record<string, never>> {
    const userId = this.userChannel(dto);
    this.subscriptionsOf(socket).delete(userId);
    await socket.leave(userMetaChannel(userId));
    return {};
  }

  private subscriptionsOf(socket: AppSocket): Set<string> {
    let subscribed = this.subscriptions.get(socket);
    if (!subscribed) {
      subscribed = new Set();
      this.subscriptions.set(socket, subscribed);
    }
    return subscribed;
  }

  private async apply(
    socket: AppSocket,
    kind: WriteKind,
    dto: MetadataWriteDto | MetadataRemoveDto,
    change: Pick<MetadataWriteDto, 'items'> | Pick<MetadataRemoveDto, 'keys'>,
  ): Promise<MetadataWriteResult> {
    const channel = channelOf(dto);
    const authorUserId = socket.data.userId;
    await this.access.assertWrite(channel, authorUserId);
    const outcome = await this.engine.write({
      channel,
      kind,
      ...change,
      majorRevision: dto.majorRevision,
      lockName: dto.lockName,
      authorUserId,
    });
    this.metrics.metadataRetries.inc(outcome.attempts - 1);
    if (outcome.changed) {
      const items = kind === 'remove' ? outcome.removed.map((key) => ({ key })) : outcome.written;
      const event = {
        ...channel,
        type: kind,
        majorRevision: outcome.majorRevision,
        items,
        authorUserId,
        ts: Date.now(),
      };
      this.events.toChannel(channel, ServerEvent.MetadataEvent, event, socket.id);
    }
    return { majorRevision: outcome.majorRevision, items: outcome.items };
  }

  private userChannel(dto: ChannelRef): string {
    if (dto.channelType !== 'user') {
      throw new AppError(
        ErrorCode.BAD_REQUEST,
        'channelType: only user channels are subscribed; room members receive room events',
        { field: 'channelType' },
      );
    }
    return dto.channelName;
  }
}
