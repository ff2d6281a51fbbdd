import { Emitter } from './emitter.js';
import { RealtimeError } from './errors.js';
import type {
  ClientLink,
  RequestEvent,
  RequestOptions,
  RequestPayload,
  RequestResult,
} from './link.js';
import { jsonEqual } from './json-equal.js';
import { applyMergePatch, diffMergePatch } from './merge-patch.js';
import {
  ErrorCode,
  type HeartbeatRequest,
  type JoinResult,
  type JsonObject,
  type JsonValue,
  type LeaveReason,
  type Member,
  type PresenceEvent,
  type RoomMessage,
} from './protocol/index.js';
import { Timers } from './timers.js';

/** Why a channel closed: left; `stale` (a newer session of its connId exists); the client
 * closed; or `failed` (a rejoin was refused: FORBIDDEN, ROOM_FULL…, see the error). */
export type PresenceClosedReason = 'left' | 'stale' | 'closed' | 'failed';

export interface PresenceChannelEvents {
  /** Another connection joined (also one first seen after a reconnect). */
  join: (member: Member) => void;
  /** A member's state or status (`online`/`away`) changed. */
  update: (member: Member) => void;
  /** A member left (its last known Member; a leave of one never seen is not announced),
   * with the server's reason when it said one: `left`, or `timeout` (no heartbeat). */
  leave: (member: Member, reason?: LeaveReason) => void;
  /** This connection's session resumed after a reconnect (same connId, a new epoch). */
  resumed: (result: JoinResult) => void;
  /** The whole map after any change. */
  members: (members: ReadonlyMap<string, Member>) => void;
  /** A room:message from another member. */
  message: (message: RoomMessage) => void;
  /** The channel is closed: no listener or timer of it remains. */
  closed: (reason: PresenceClosedReason, error?: RealtimeError) => void;
  /** A failure the channel recovers from by itself (e.g. a heartbeat that timed out). */
  error: (error: RealtimeError) => void;
}

export interface PresenceOptions {
  /** Kept across reconnects; omitted, the server picks one at the first join. */
  connId?: string;
  /** The initial state (a JSON object). */
  state?: JsonObject;
}

/** What a channel needs from its client beyond ClientLink. Internal. */
export interface PresenceHost extends ClientLink {
  /** Sends at once on the current connection, without waiting for rooms to resume. */
  requestDirect<E extends RequestEvent>(
    event: E,
    payload: RequestPayload<E>,
    options?: RequestOptions,
  ): Promise<RequestResult<E>>;
  /** Connected, and every room resumed. */
  readonly isOpen: boolean;
  readonly paused: boolean;
  /** The channel closed: the client forgets it. */
  release(channel: PresenceChannel): void;
}

/** `leaving`: presence:leave is in flight; no heartbeat or rejoin may follow it. */
type Phase = 'idle' | 'joining' | 'joined' | 'leaving' | 'closed';

/**
 * One room's presence for one connection: join, heartbeats with coalesced state patches,
 * the members map kept current from events, resume after reconnects. Made by
 * `client.presence(roomId, options)`.
 */
export class PresenceChannel extends Emitter<PresenceChannelEvents> {
  private phase: Phase = 'idle';
  private currentConnId?: string;
  private currentEpoch = 0;
  private intervalMs = 10_000;
  private readonly memberMap = new Map<string, Member>();
  /** The state this connection should have (setState applied locally at once). */
  private state: JsonObject;
  /** The state the server acknowledged last; undefined when unknown (send it whole). */
  private sentState?: JsonObject;
  private readonly timers = new Timers();
  private heartbeatTimer?: ReturnType<typeof setTimeout>;
  private unlisteners: (() => void)[] = [];
  /** Events received while a join is in flight, replayed over its member list. */
  private queued?: PresenceEvent[];
  private inflight: Promise<unknown> = Promise.resolve();
  private rejoining?: Promise<void>;
  /** Settles when the first join has (leave() waits for a join in flight). */
  private joining: Promise<void> = Promise.resolve();
  private joinResult?: JoinResult;

  /** Use `client.presence(roomId, options)`. */
  constructor(
    private readonly host: PresenceHost,
    readonly roomId: string,
    options: PresenceOptions = {},
  ) {
    super();
    this.currentConnId = options.connId;
    this.state = options.state ?? {};
  }

  /** This connection's id (known after join() when the server chose it). */
  get connId(): string | undefined {
    return this.currentConnId;
  }

  /** The current session's epoch: it rises with every resume. */
  get epoch(): number {
    return this.currentEpoch;
  }

  get members(): ReadonlyMap<string, Member> {
    return this.memberMap;
  }

  get joined(): boolean {
    return this.phase === 'joined';
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** Joins the room; heartbeats then run at the server's heartbeatIntervalMs. */
  async join(): Promise<JoinResult> {
    if (this.phase === 'closed') {
      throw closedError(this.roomId);
    }
    if (this.phase !== 'idle' && this.joinResult) {
      return this.joinResult;
    }
    if (this.phase === 'joining') {
      throw new RealtimeError(ErrorCode.BAD_REQUEST, `join of room ${this.roomId} in progress`);
    }
    this.phase = 'joining';
    this.listen();
    const joining = this.sendJoin(false);
    this.joining = joining.then(
      () => undefined,
      () => undefined,
    );
    try {
      const result = await joining;
      if (this.phase !== 'joining') {
        throw closedError(this.roomId);
      }
      this.phase = 'joined';
      this.scheduleHeartbeat();
      return result;
    } catch (error) {
      if (this.phase === 'joining') {
        this.close('failed', error instanceof RealtimeError ? error : undefined);
      }
      throw error;
    }
  }

  /** Merges a JSON merge patch into this connection's state; sent with the next heartbeat. */
  setState(patch: JsonObject): void {
    if (this.phase === 'closed') {
      throw closedError(this.roomId);
    }
    this.state = applyMergePatch(this.state, patch);
  }

  /** This connection's state as the client holds it (pending changes included). */
  get ownState(): JsonObject {
    return this.state;
  }

  /** Sends pending state now (a heartbeat); resolves once acknowledged. */
  async flush(): Promise<void> {
    if (this.phase !== 'joined') {
      throw new RealtimeError(ErrorCode.NOT_JOINED, `room ${this.roomId} is not joined`);
    }
    const error = await this.heartbeat();
    this.scheduleHeartbeat();
    if (error) {
      throw error;
    }
  }

  /** Sends a room:message to the other members; → `{ id, ts }`. */
  send<T extends JsonValue>(type: string, data: T): Promise<{ id: string; ts: number }> {
    if (this.phase === 'closed') {
      return Promise.reject(closedError(this.roomId));
    }
    return this.host.request('room:message', { roomId: this.roomId, type, data });
  }

  /**
   * A typed handler for the room messages of one type (`data` as the sender's `send` typed
   * it: the server checks only that it is JSON); → the function that removes it.
   */
  onMessage<T extends JsonValue>(
    type: string,
    handler: (data: T, message: RoomMessage) => void,
  ): () => void {
    const listener = (message: RoomMessage) => {
      if (message.type === type) {
        handler(message.data as T, message);
      }
    };
    this.on('message', listener);
    return () => this.off('message', listener);
  }

  /** Leaves the room (best effort) and closes the channel: nothing of it is kept. */
  async leave(): Promise<void> {
    if (this.phase === 'closed') {
      return;
    }
    if (this.phase === 'joining') {
      // The join may land: wait for it, so the server is told to let go of it.
      await this.joining;
    }
    if (this.closed || this.phase === 'leaving') {
      return;
    }
    const connId = this.currentConnId;
    const wasJoined = this.phase === 'joined';
    this.phase = 'leaving';
    this.timers.clearAll();
    try {
      if (wasJoined && connId !== undefined) {
        await this.host.request('presence:leave', { roomId: this.roomId, connId }, { retries: 0 });
      }
    } catch {
      // Best effort: a connection that cannot be told leaves by timeout.
    } finally {
      this.close('left');
    }
  }

  /** Test aid: what the channel holds on the socket and in timers (0 and 0 once closed). */
  openResources(): { socketListeners: number; timers: number } {
    return { socketListeners: this.unlisteners.length, timers: this.timers.size };
  }

  /** Internal (client): resumes the session on a new connection with the same connId. */
  async resumeAfterReconnect(): Promise<void> {
    if (this.phase !== 'joined') {
      return;
    }
    while (this.rejoining) {
      await this.rejoining;
    }
    await this.rejoin();
  }

  /** Internal (client): stops heartbeats until resumeHeartbeats(). */
  pauseHeartbeats(): void {
    this.timers.clear(this.heartbeatTimer);
  }

  /** Internal (client): a heartbeat now, then at the usual interval. */
  beatNow(): void {
    if (this.phase === 'joined') {
      this.scheduleHeartbeat(0);
    }
  }

  /** Internal (client and leave()): closes without telling the server. */
  close(reason: PresenceClosedReason, error?: RealtimeError): void {
    if (this.phase === 'closed') {
      return;
    }
    this.phase = 'closed';
    this.timers.clearAll();
    this.unlisteners.forEach((unlisten) => unlisten());
    this.unlisteners = [];
    this.queued = undefined;
    this.host.release(this);
    this.emit('closed', reason, error);
    this.removeAllListeners();
  }

  private listen(): void {
    this.unlisteners.push(
      this.host.listen('presence:event', (event) => {
        if (event.roomId !== this.roomId || this.phase === 'closed') {
          return;
        }
        if (this.queued) {
          this.queued.push(event);
        } else {
          this.apply(event);
        }
      }),
      this.host.listen('room:message', (message) => {
        if (message.roomId === this.roomId && this.phase !== 'closed') {
          this.emit('message', message);
        }
      }),
    );
  }

  /** presence:join with this connId and the whole state; the member list replaces ours. */
  private async sendJoin(direct: boolean): Promise<JoinResult> {
    // A rejoin goes out on the connection at hand: it is what lets queued requests through.
    this.queued = [];
    const state = this.state;
    const payload = {
      roomId: this.roomId,
      ...(this.currentConnId !== undefined ? { connId: this.currentConnId } : {}),
      state,
    };
    try {
      const result = direct
        ? await this.host.requestDirect('presence:join', payload)
        : await this.host.request('presence:join', payload);
      if (this.phase === 'closed') {
        return result;
      }
      this.currentConnId = result.connId;
      this.currentEpoch = result.epoch;
      this.intervalMs = result.heartbeatIntervalMs;
      this.sentState = state;
      this.joinResult = result;
      this.replaceMembers(result.members);
      return result;
    } finally {
      const queued = this.queued ?? [];
      this.queued = undefined;
      queued.forEach((event) => this.apply(event));
    }
  }

  /** One rejoin at a time (a reconnect and a NOT_JOINED may ask together). */
  private rejoin(): Promise<void> {
    this.rejoining ??= this.sendJoin(true)
      .then(
        (result) => {
          if (this.phase !== 'joined') {
            return;
          }
          if (!this.host.paused) {
            this.scheduleHeartbeat();
          }
          this.emit('resumed', result);
        },
        (error: unknown) => this.rejoinFailed(error),
      )
      .finally(() => {
        this.rejoining = undefined;
      });
    return this.rejoining;
  }

  private rejoinFailed(error: unknown): void {
    if (!(error instanceof RealtimeError) || this.phase === 'closed') {
      return;
    }
    if (error.code === ErrorCode.UNAVAILABLE || error.retryable) {
      // The connection dropped again or the server is busy: the next reconnect or heartbeat retries.
      this.sentState = undefined;
      this.emit('error', error);
      this.scheduleHeartbeat();
    } else {
      this.close('failed', error);
    }
  }

  private scheduleHeartbeat(delayMs = this.intervalMs): void {
    this.timers.clear(this.heartbeatTimer);
    if (this.phase !== 'joined' || this.host.paused) {
      return;
    }
    this.heartbeatTimer = this.timers.set(() => {
      void this.heartbeat().then(() => this.scheduleHeartbeat());
    }, delayMs);
  }

  /** One heartbeat after the one in flight; resolves with the error flush() should throw. */
  private heartbeat(): Promise<RealtimeError | undefined> {
    const next = this.inflight.then(() => this.sendHeartbeat());
    this.inflight = next.catch(() => undefined);
    return next;
  }

  private async sendHeartbeat(): Promise<RealtimeError | undefined> {
    const connId = this.currentConnId;
    if (this.phase !== 'joined' || connId === undefined) {
      return undefined;
    }
    if (this.rejoining) {
      await this.rejoining;
      return undefined;
    }
    if (!this.host.isOpen) {
      return undefined; // the resume after the reconnect sends everything
    }
    const state = this.state;
    const payload: HeartbeatRequest = { roomId: this.roomId, connId, epoch: this.currentEpoch };
    const diff = this.sentState ? diffMergePatch(this.sentState, state) : 'replace';
    if (diff === 'replace') {
      payload.state = state;
    } else if (diff) {
      payload.statePatch = diff;
    }
    try {
      const result = await this.host.request('presence:heartbeat', payload);
      if (this.phase === 'joined' && result.epoch === this.currentEpoch) {
        this.sentState = state;
        this.updateOwnState(state);
      }
      return undefined;
    } catch (error) {
      if (!(error instanceof RealtimeError) || this.phase !== 'joined') {
        return undefined;
      }
      return this.heartbeatFailed(error, payload);
    }
  }

  private async heartbeatFailed(
    error: RealtimeError,
    payload: HeartbeatRequest,
  ): Promise<RealtimeError | undefined> {
    if (payload.epoch !== this.currentEpoch) {
      // The answer to a beat of a session this channel has resumed since (a retry that
      // crossed a reconnect): the resume already settled it.
      return undefined;
    }
    const code = error.code;
    if (code === ErrorCode.STALE_EPOCH || code === ErrorCode.FORBIDDEN) {
      this.close(code === ErrorCode.STALE_EPOCH ? 'stale' : 'failed', error);
      return error;
    }
    if (code === ErrorCode.NOT_JOINED) {
      await this.rejoin();
      return this.closed ? error : undefined;
    }
    if (code === ErrorCode.BAD_REQUEST || code === ErrorCode.PAYLOAD_TOO_LARGE) {
      // The server keeps the state it had: so does the client.
      if (this.sentState && (payload.state || payload.statePatch)) {
        this.state = this.sentState;
      }
    } else if (payload.state || payload.statePatch) {
      // Unknown whether it was applied: the next heartbeat sends the whole state.
      this.sentState = undefined;
    }
    this.emit('error', error);
    return error;
  }

  private updateOwnState(state: JsonObject): void {
    const connId = this.currentConnId;
    const own = connId !== undefined ? this.memberMap.get(connId) : undefined;
    if (own && !jsonEqual(own.state, state)) {
      this.memberMap.set(own.connId, { ...own, state });
      this.emit('members', this.memberMap);
    }
  }

  /** A join ack's list: the changes from the map we had are announced like events. */
  private replaceMembers(members: Member[]): void {
    const previous = new Map(this.memberMap);
    this.memberMap.clear();
    members.forEach((member) => this.memberMap.set(member.connId, member));
    for (const member of members) {
      const before = previous.get(member.connId);
      if (member.connId === this.currentConnId || !before) {
        if (!before && member.connId !== this.currentConnId && previous.size > 0) {
          this.emit('join', member);
        }
        continue;
      }
      if (before.status !== member.status || !jsonEqual(before.state, member.state)) {
        this.emit('update', member);
      }
    }
    for (const [connId, member] of previous) {
      if (!this.memberMap.has(connId) && connId !== this.currentConnId) {
        this.emit('leave', member);
      }
    }
    this.emit('members', this.memberMap);
  }

  /** An event changes the map (and is announced) only when it changes something. */
  private apply(event: PresenceEvent): void {
    const known = this.memberMap.get(event.connId);
    if (event.type === 'leave') {
      if (!known) {
        return;
      }
      this.memberMap.delete(event.connId);
      this.emit('leave', known, event.reason);
      this.emit('members', this.memberMap);
      return;
    }
    const member = event.member;
    if (!member) {
      return;
    }
    if (
      known &&
      known.status === member.status &&
      jsonEqual(known.state, member.state) &&
      known.lastSeenAt >= member.lastSeenAt
    ) {
      return;
    }
    this.memberMap.set(member.connId, member);
    this.emit(known ? 'update' : 'join', member);
    this.emit('members', this.memberMap);
  }
}

function closedError(roomId: string): RealtimeError {
  return new RealtimeError(ErrorCode.NOT_JOINED, `the channel of room ${roomId} is closed`);
}
