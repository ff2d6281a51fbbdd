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
} from '@avalon-realtime/client/protocol';
import { AppConfig } from '../config/app-config.js';
import { LockService } from '../metadata/lock.service.js';
import { RoomChannelRetention } from '../metadata/room-channel-retention.js';
import { ShutdownState } from '../shutdown/shutdown-state.js';
import { PresenceEngine, type RemovedMember, type StateOp } from '../engine/presence.engine.js';
import { roomChannel } from '../socket/channels.js';
import { RealtimeEvents } from '../socket/realtime-events.js';
import type { AppSocket, JoinedConn } from '../socket/socket-types.js';
import { HeartbeatSender } from './heartbeat-sender.js';
import type { HeartbeatDto, JoinDto, LeaveDto } from './presence.dto.js';
import { RoomBudget } from './room-budget.js';
import { SessionRegistry } from './session-registry.js';

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
    private readonly sessions: SessionRegistry,
    private readonly budget: RoomBudget,
  ) {}

  async join(socket: AppSocket, dto: JoinDto): Promise<JoinResult> {
    const release = this.budget.reserve(socket, dto.roomId);
    try {
      return await this.joinReserved(socket, dto);
    } finally {
      release();
    }
  }

  private async joinReserved(socket: AppSocket, dto: JoinDto): Promise<JoinResult> {
    const connId = dto.connId ?? newConnId();
    const ttlMs = this.config.get('PRESENCE_TTL_MS');
    const mark = this.sessions.mark();
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
    const { epoch, member } = outcome;
    const session = { roomId: dto.roomId, connId, epoch, joinedAt: member.joinedAt };
    const connected = socket.connected;
    if (connected) {
      this.sessions.hold(socket, session, mark);
    }
    // Older sessions of this connId (a resumed socket, here or elsewhere) end before the
    // others hear of the join, so they never hear it or anything after it.
    this.sessions.end({ roomId: dto.roomId, connId, kind: 'superseded', epoch });
    this.announce(dto.roomId, outcome.resumed ? 'update' : 'join', member, socket.id);
    if (!connected) {
      await this.markAway(socket, session); // the socket left while the join was in flight
    } else {
      await this.events.listening(roomChannel(dto.roomId));
    }
    return {
      roomId: dto.roomId,
      connId,
      epoch,
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
    if (!this.sessions.holds(socket, dto)) {
      await this.sessions.refuseUnheld(socket, dto);
    }
    const ops: StateOp[] = [];
    if (dto.state !== undefined) {
      ops.push({ state: dto.state });
    } else if (dto.statePatch !== undefined) {
      ops.push({ statePatch: dto.statePatch });
    }
    const { outcome, announce } = await this.heartbeats
      .send({
        roomId: dto.roomId,
        connId: dto.connId,
        userId: socket.data.userId,
        epoch: dto.epoch,
        ops,
        ttlMs: this.config.get('PRESENCE_TTL_MS'),
      })
      .catch((err: unknown) => this.sessions.refused(socket, dto, err));
    if (outcome.changed && announce) {
      this.announce(dto.roomId, 'update', outcome.member, socket.id);
    }
    return { epoch: outcome.epoch, changed: outcome.changed, expiresAt: outcome.expiresAt };
  }

  async leave(socket: AppSocket, dto: LeaveDto): Promise<{ left: true }> {
    const removed = await this.engine.leave({ ...dto, userId: socket.data.userId });
    if (!removed) {
      this.sessions.forget(socket, dto.roomId, dto.connId);
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
    const sessions = this.sessions.release(socket);
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

  private announce(roomId: string, type: 'join' | 'update', member: Member, except?: string) {
    const { connId, userId } = member;
    const event = { roomId, type, connId, userId, member, ts: Date.now() };
    this.events.toRoom(roomId, ServerEvent.PresenceEvent, event, except);
  }

  /** Every path a connection leaves by ends here: request, disconnect, expiry. */
  private announceLeave(removed: RemovedMember, reason: LeaveReason, except?: string): void {
    const { roomId, member } = removed;
    // Its sockets stop hearing the room first: none of them receives this leave.
    this.sessions.end({
      roomId,
      connId: member.connId,
      kind: 'removed',
      joinedAt: member.joinedAt,
    });
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
