import { Agent } from 'node:http';
import {
  RealtimeClient,
  type ClientStatus,
  type JoinResult,
  type LeaveReason,
  type Member,
  type PresenceChannel,
  type RealtimeError,
  type RoomMessage,
  type ServerShutdownNotice,
} from '@avalon-realtime/client';
import { tokenFor } from '../support/tokens.js';
import { socketOf } from './sdk-helpers.js';

export type Transport = 'websocket' | 'polling';

export interface PlayerOptions {
  /** Engine.IO transports; default websocket only. */
  transports?: Transport[];
  /** Loopback source address (127.0.0.x): a client "from another address" to a proxy. */
  localAddress?: string;
  /** Longest wait of joined()/heard()/saw()/noticed(). Default 20 s. */
  waitMs?: number;
}

/** A presence event as the player's app saw it, with when it arrived. */
export interface Seen {
  type: 'join' | 'update' | 'leave';
  member: Member;
  reason?: LeaveReason;
  receivedAt: number;
}

/**
 * One player of a room through the SDK alone: a RealtimeClient with one PresenceChannel
 * (connId `<userId>-c`), which resumes after every reconnect by itself. Records what the
 * app would notice from SDK events: joins and resumes (JoinResults), refusals, shutdown
 * notices, status changes, presence events, room messages.
 */
export class Player {
  readonly client: RealtimeClient;
  readonly room: PresenceChannel;
  /** The first join's JoinResult, then one per resume. */
  readonly joins: JoinResult[] = [];
  /** Error codes the client or the channel reported, but UNAVAILABLE (no answer in time). */
  readonly refusals: string[] = [];
  readonly notices: ServerShutdownNotice[] = [];
  readonly statuses: ClientStatus[] = [];
  readonly seen: Seen[] = [];
  readonly messages: RoomMessage[] = [];
  /** Connections lost (status went `reconnecting`), whoever ended them. */
  outages = 0;
  /** Reconnects completed (rooms resumed). */
  reconnects = 0;
  private readonly waiters = new Set<() => void>();
  private readonly waitMs: number;

  private readonly born = Date.now();
  private readonly times: number[] = [];

  private constructor(
    url: string,
    userId: string,
    readonly roomId: string,
    options: PlayerOptions,
  ) {
    const { transports = ['websocket'], localAddress } = options;
    this.waitMs = options.waitMs ?? 20_000;
    this.client = new RealtimeClient({
      url,
      token: () => tokenFor(userId),
      transports,
      requestTimeoutMs: 5000,
      reconnect: { minDelayMs: 100, maxDelayMs: 500 },
      // websocket: `ws` takes localAddress; polling: the XHR takes an http.Agent
      ...(localAddress
        ? { socketOptions: { localAddress, agent: new Agent({ localAddress }) } as object }
        : {}),
    });
    this.room = this.client.presence(roomId, { connId: `${userId}-c` });
    this.client.on('status', (status) => {
      this.statuses.push(status);
      this.times.push(Date.now() - this.born);
      if (status === 'reconnecting') {
        this.outages++;
      }
      this.changed();
    });
    this.client.on('reconnect', () => {
      this.reconnects++;
      this.changed();
    });
    this.client.on('shutdown', (notice) => this.record(this.notices, notice));
    this.client.on('error', (error) => this.refused(error));
    this.room.on('error', (error) => this.refused(error));
    this.room.on('closed', (reason, error) =>
      this.record(this.refusals, `closed: ${reason} ${error?.code ?? ''}`),
    );
    this.room.on('resumed', (result) => this.record(this.joins, result));
    this.room.on('join', (member) => this.note('join', member));
    this.room.on('update', (member) => this.note('update', member));
    this.room.on('leave', (member, reason) => this.note('leave', member, reason));
    this.room.on('message', (message) => this.record(this.messages, message));
  }

  /** Connects and joins `roomId`; a player that fails is closed. */
  static async open(
    url: string,
    userId: string,
    roomId: string,
    options: PlayerOptions = {},
  ): Promise<Player> {
    const player = new Player(url, userId, roomId, options);
    try {
      await player.client.connect();
      player.record(player.joins, await player.room.join());
    } catch (error) {
      await player.close();
      throw error;
    }
    return player;
  }

  get connId(): string {
    return this.room.connId as string;
  }

  get leaves(): Seen[] {
    return this.seen.filter((e) => e.type === 'leave');
  }

  /** The transport in use now (`polling` or `websocket`): what a proxy sees. */
  get transport(): string | undefined {
    return socketOf(this.client).io.engine?.transport?.name;
  }

  /** The Engine.IO session id: what a proxy keeps sticky. */
  get session(): string | undefined {
    return socketOf(this.client).io.engine?.id;
  }

  /**
   * Connected, every outage ended by a reconnect, and each reconnect came with a resume
   * (a connection lost while resuming may add a resume of its own).
   */
  get settled(): boolean {
    return (
      this.client.status === 'connected' &&
      this.room.joined &&
      this.reconnects === this.outages &&
      this.joins.length >= 1 + this.reconnects
    );
  }

  /** Resolves once settled with `reconnects` reconnects at least. */
  back(reconnects = 0, timeoutMs = this.waitMs): Promise<void> {
    return this.until(
      () => this.settled && this.reconnects >= reconnects,
      () => `${this.connId}: ${this.state()}`,
      timeoutMs,
    );
  }

  heard(type: string): Promise<void> {
    return this.until(
      () => this.messages.some((m) => m.type === type),
      () => `${this.connId} heard no ${type}`,
    );
  }

  /** Resolves once the player's members map holds `connId`. */
  saw(connId: string): Promise<void> {
    return this.until(
      () => this.room.members.has(connId),
      () => `${this.connId} saw no join of ${connId}`,
    );
  }

  noticed(count: number): Promise<void> {
    return this.until(
      () => this.notices.length >= count,
      () => `${this.connId}: ${this.notices.length} shutdown notices; ${this.state()}`,
    );
  }

  /** Resolves once `count` leaves have been seen. */
  sawLeaves(count: number, timeoutMs: number): Promise<void> {
    return this.until(
      () => this.leaves.length >= count,
      () => `${this.connId}: ${this.leaves.length} leaves seen`,
      timeoutMs,
    );
  }

  send(type: string): Promise<{ id: string; ts: number }> {
    return this.room.send(type, this.connId);
  }

  /** The room's members as presence:list gives them: [connId, status], sorted. */
  async listed(): Promise<[string, string][]> {
    const { members } = await this.client.request('presence:list', { roomId: this.roomId });
    return members.map((m): [string, string] => [m.connId, m.status]).sort();
  }

  close(): Promise<void> {
    return this.client.close();
  }

  /** For a failure message: what the player noticed, and what socket.io-client is doing. */
  private state(): string {
    const socket = socketOf(this.client);
    const manager = socket.io as unknown as {
      _readyState: string;
      _reconnecting: boolean;
      backoff: { attempts: number };
    };
    return (
      `status ${this.client.status} [${this.statuses.join(',')}] at [${this.times.join(',')}] ms (now ${Date.now() - this.born}), ${this.outages} outages, ` +
      `${this.reconnects} reconnects, ${this.joins.length} joins, ` +
      `refused [${this.refusals.join(',')}]; socket active ${socket.active}, ` +
      `manager ${manager._readyState}, reconnecting ${manager._reconnecting}, ` +
      `attempts ${manager.backoff.attempts}`
    );
  }

  private note(type: Seen['type'], member: Member, reason?: LeaveReason): void {
    this.record(this.seen, { type, member, reason, receivedAt: Date.now() });
  }

  private refused(error: RealtimeError): void {
    if (error.code !== 'UNAVAILABLE') {
      this.record(this.refusals, error.code);
    }
  }

  private record<T>(list: T[], item: T): void {
    list.push(item);
    this.changed();
  }

  private changed(): void {
    this.waiters.forEach((wake) => wake());
  }

  private until(
    done: () => boolean,
    explain: () => string,
    timeoutMs = this.waitMs,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done()) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(explain()));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}
