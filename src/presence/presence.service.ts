import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../common/errors/app-error.js';
import { newConnId } from '../common/ids.js';
import {
  ErrorCode,
  ServerEvent,
  type HeartbeatResult,
  type JoinResult,
  type LeaveReason,
  type ListResult,
  type Member,
  type UserResult,
} from '../common/protocol/index.js';
import { AppConfig } from '../config/app-config.js';
import { LockService } from '../metadata/lock.service.js';
import { RoomChannelRetention } from '../metadata/room-channel-retention.js';
import { ShutdownState } from '../shutdown/shutdown-state.js';
import { PresenceEngine, type RemovedMember, type StateOp } from '../engine/presence.engine.js';
import { roomChannel } from '../socket/channels.js';
import { RealtimeEvents } from '../socket/realtime-events.js';
import { joinedKey, type AppSocket, type JoinedConn } from '../socket/socket-types.js';
import { HeartbeatSender } from './heartbeat-sender.js';
import type { HeartbeatDto, JoinDto, LeaveDto } from './presence.dto.js';

/** Presence rules: sessions per socket, epoch fencing, and every change announced once. */
@Injectable()
export class PresenceService {
  private readonly logger = new Logger(PresenceService.name);

  constructor(
    private readonly engine: PresenceEngine,
    private readonly events: RealtimeEvents,
    private readonly heartbeats: HeartbeatSender,
    private readonly config: AppConfig,
    private readonly locks: LockService,
    private readonly shutdown: ShutdownState,
    private readonly retention: RoomChannelRetention,
  ) {}

  async join(socket: AppSocket, dto: JoinDto): Promise<JoinResult> {
    this.assertRoomBudget(socket, dto.roomId);
    const connId = dto.connId ?? newConnId();
    const ttlMs = this.config.get('PRESENCE_TTL_MS');
    const outcome = await this.engine.join({
      roomId: dto.roomId,
      connId,
      userId: socket.data.userId,
      state: dto.state,
      node: this.config.nodeId,
      ttlMs,
      maxMembers: this.config.get('ROOM_MAX_MEMBERS'),
      maxConnsPerUser: this.config.get('ROOM_MAX_CONN_PER_USER'),
    });
    if (!outcome.resumed) {
      void this.retention.roomOccupied(dto.roomId);
    }
    await socket.join(roomChannel(dto.roomId));
    const session = { roomId: dto.roomId, connId, epoch: outcome.epoch };
    socket.data.joined.set(joinedKey(dto.roomId, connId), session);
    this.announce(dto.roomId, outcome.resumed ? 'update' : 'join', outcome.member, socket.id);
    return {
      roomId: dto.roomId,
      connId,
      epoch: outcome.epoch,
      resumed: outcome.resumed,
      heartbeatIntervalMs: this.config.get('PRESENCE_HEARTBEAT_INTERVAL_MS'),
      ttlMs,
      members: outcome.members,
    };
  }

  async heartbeat(socket: AppSocket, dto: HeartbeatDto): Promise<HeartbeatResult> {
    if (dto.state !== undefined && dto.statePatch !== undefined) {
      throw new AppError(ErrorCode.BAD_REQUEST, 'state and statePatch are exclusive: send one');
    }
    await this.assertSession(socket, dto.roomId, dto.connId);
    const ops: StateOp[] = [];
    if (dto.state !== undefined) {
      ops.push({ state: dto.state });
    } else if (dto.statePatch !== undefined) {
      ops.push({ statePatch: dto.statePatch });
    }
    const { outcome, announce } = await this.heartbeats.send({
      roomId: dto.roomId,
      connId: dto.connId,
      userId: socket.data.userId,
      epoch: dto.epoch,
      ops,
      ttlMs: this.config.get('PRESENCE_TTL_MS'),
    });
    if (outcome.changed && announce) {
      this.announce(dto.roomId, 'update', outcome.member, socket.id);
    }
    return { epoch: outcome.epoch, changed: outcome.changed, expiresAt: outcome.expiresAt };
  }

  async leave(socket: AppSocket, dto: LeaveDto): Promise<{ left: true }> {
    const removed = await this.engine.leave({ ...dto, userId: socket.data.userId });
    await this.forget(socket, dto.roomId, dto.connId);
    if (!removed) {
      throw new AppError(ErrorCode.NOT_JOINED, 'not joined');
    }
    this.announceLeave(removed, 'left', socket.id);
    return { left: true };
  }

  async list(roomId: string): Promise<ListResult> {
    return { roomId, members: await this.engine.list(roomId) };
  }

  async user(userId: string): Promise<UserResult> {
    return { userId, rooms: await this.engine.listForUser(userId) };
  }

  /**
   * A socket went away. A client that said goodbye leaves at once; a lost transport
   * leaves its members `away` until they resume or expire. Fenced by epoch, so a late
   * disconnect never touches a newer session of the same connId.
   */
  async disconnected(socket: AppSocket, reason: string): Promise<void> {
    const sessions = [...(socket.data.joined?.values() ?? [])];
    socket.data.joined?.clear();
    if (this.shutdown.active) {
      return; // closed by our shutdown: the client resumes elsewhere, others see nothing
    }
    const explicit = reason === 'client namespace disconnect';
    await Promise.all(
      sessions.map((s) => (explicit ? this.leaveFenced(socket, s) : this.markAway(socket, s))),
    );
  }

  /** Announces connections the reaper removed. */
  announceExpired(removed: RemovedMember[]): void {
    for (const entry of removed) {
      this.announceLeave(entry, 'timeout');
    }
  }

  private async leaveFenced(socket: AppSocket, s: JoinedConn): Promise<void> {
    const removed = await this.safely(
      this.engine.leave({ ...s, userId: socket.data.userId }),
      'leave on disconnect',
    );
    if (removed) {
      this.announceLeave(removed, 'left');
    }
  }

  private async markAway(socket: AppSocket, s: JoinedConn): Promise<void> {
    const member = await this.safely(
      this.engine.markAway({ ...s, userId: socket.data.userId }),
      'mark away',
    );
    if (member) {
      this.announce(s.roomId, 'update', member);
    }
  }

  /** Disconnect paths have no client to answer: failures are logged, never thrown. */
  private async safely<T>(work: Promise<T>, step: string): Promise<T | undefined> {
    try {
      return await work;
    } catch (err) {
      this.logger.warn({ msg: `${step} failed`, err: (err as Error).message });
      return undefined;
    }
  }

  /** MAX_ROOMS_PER_SOCKET distinct rooms per socket; more connections in a joined room are fine. */
  private assertRoomBudget(socket: AppSocket, roomId: string): void {
    const rooms = new Set([...socket.data.joined.values()].map((s) => s.roomId));
    if (!rooms.has(roomId) && rooms.size >= this.config.get('MAX_ROOMS_PER_SOCKET')) {
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        'this socket is in too many rooms: leave one first',
      );
    }
  }

  /** Heartbeats come from the socket that joined; a new socket resumes by joining again. */
  private async assertSession(socket: AppSocket, roomId: string, connId: string): Promise<void> {
    if (socket.data.joined.has(joinedKey(roomId, connId))) {
      return;
    }
    const member = (await this.engine.list(roomId)).find((m) => m.connId === connId);
    if (member && member.userId !== socket.data.userId) {
      throw new AppError(ErrorCode.FORBIDDEN, 'connId belongs to another user');
    }
    throw new AppError(ErrorCode.NOT_JOINED, 'not joined on this socket: join the room again');
  }

  private async forget(socket: AppSocket, roomId: string, connId: string): Promise<void> {
    socket.data.joined.delete(joinedKey(roomId, connId));
    const stillInRoom = [...socket.data.joined.values()].some((s) => s.roomId === roomId);
    if (!stillInRoom) {
      await socket.leave(roomChannel(roomId));
    }
  }

  private announce(roomId: string, type: 'join' | 'update', member: Member, except?: string) {
    const { connId, userId } = member;
    const event = { roomId, type, connId, userId, member, ts: Date.now() };
    this.events.toRoom(roomId, ServerEvent.PresenceEvent, event, except);
  }

  /** Every path a connection leaves by ends here: request, disconnect, expiry. */
  private announceLeave(removed: RemovedMember, reason: LeaveReason, except?: string): void {
    const { roomId, member } = removed;
    if (removed.userGone) {
      void this.locks.releaseAllOf(roomId, member.userId);
    }
    if (removed.roomEmpty) {
      void this.retention.roomEmptied(roomId);
    }
    const event = {
      roomId,
      type: 'leave' as const,
      connId: member.connId,
      userId: member.userId,
      reason,
      ts: Date.now(),
    };
    this.events.toRoom(roomId, ServerEvent.PresenceEvent, event, except);
  }
}
