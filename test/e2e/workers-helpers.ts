import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  JoinResult,
  PresenceEvent,
  RoomMessage,
  ServerShutdownNotice,
} from '@avalon-realtime/client/protocol';
import type { AppProcess } from '../support/app.js';
import { getJson } from '../support/ops.js';

const HEARTBEAT_EVERY_MS = 1000;
const WAIT_MS = 20_000;

/**
 * A client as the protocol asks, on the transport a test chooses: on `server:shutdown` it
 * reconnects after `reconnectAfterMs` and joins `roomId` again with the same connId; a
 * SHUTTING_DOWN refusal is retried; it heartbeats while connected. Records what a person
 * would notice: joins, refusals, presence events, room messages, shutdown notices.
 */
export class ResumingClient {
  readonly socket: Socket;
  readonly joins: JoinResult[] = [];
  readonly refusals: string[] = [];
  readonly presence: PresenceEvent[] = [];
  readonly messages: RoomMessage[] = [];
  readonly notices: ServerShutdownNotice[] = [];
  /** Connections lost, whoever ended them. */
  drops = 0;
  private epoch = 0;
  /** Whether a join succeeded on the current connection. */
  private joinedHere = false;
  private readonly waiters = new Set<() => void>();
  private reconnectAfterMs = 0;
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(
    url: string,
    token: string,
    readonly roomId: string,
    readonly connId: string,
    transports: ('websocket' | 'polling')[] = ['websocket'],
  ) {
    this.socket = io(url, {
      auth: { token },
      transports,
      forceNew: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
    });
    this.socket.on('connect', () => {
      this.joinedHere = false;
      void this.join();
    });
    this.socket.on('server:shutdown', (notice: ServerShutdownNotice) => {
      this.notices.push(notice);
      this.reconnectAfterMs = notice.reconnectAfterMs;
      this.changed();
    });
    // the server ends the session itself: socket.io-client leaves reconnecting to us
    this.socket.on('disconnect', (reason) => {
      this.drops++;
      if (reason === 'io server disconnect') {
        this.later(this.reconnectAfterMs);
      }
    });
    this.socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      const code = err.data?.code;
      if (code) {
        this.refusals.push(code);
      }
      if (code === 'SHUTTING_DOWN') {
        this.later(100);
      }
    });
    this.socket.on('presence:event', (e: PresenceEvent) => this.record(this.presence, e));
    this.socket.on('room:message', (m: RoomMessage) => this.record(this.messages, m));
    this.timer = setInterval(() => this.heartbeat(), HEARTBEAT_EVERY_MS);
  }

  /** The transport in use now: `polling` or `websocket`. */
  get transport(): string | undefined {
    return (this.socket.io.engine as { transport?: { name: string } } | undefined)?.transport?.name;
  }

  get leaves(): PresenceEvent[] {
    return this.presence.filter((e) => e.type === 'leave');
  }

  /** Resolves once connected and joined (or resumed) on this connection, `times` joins in all. */
  joined(times = 1): Promise<void> {
    return this.until(
      () => this.socket.connected && this.joinedHere && this.joins.length >= times,
      () => `${this.connId}: ${this.joins.length} joins, refused ${this.refusals.join(',')}`,
    );
  }

  /** Resolves once a room message of `type` has arrived. */
  heard(type: string): Promise<void> {
    return this.until(
      () => this.messages.some((m) => m.type === type),
      () => `${this.connId} did not hear ${type}`,
    );
  }

  /** Resolves once `count` shutdown notices have arrived. */
  noticed(count: number): Promise<void> {
    return this.until(
      () => this.notices.length >= count,
      () => `${this.connId}: ${this.notices.length} shutdown notices`,
    );
  }

  async send(type: string): Promise<void> {
    const ack = (await this.socket.timeout(5000).emitWithAck('room:message', {
      roomId: this.roomId,
      type,
      data: this.connId,
    })) as Ack<unknown>;
    if (!ack.ok) {
      throw new Error(`${this.connId}: room:message refused ${ack.error.code}`);
    }
  }

  close(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.socket.close();
  }

  private record<T>(list: T[], item: T): void {
    list.push(item);
    this.changed();
  }

  private changed(): void {
    this.waiters.forEach((wake) => wake());
  }

  private until(done: () => boolean, explain: () => string): Promise<void> {
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
      }, WAIT_MS);
      this.waiters.add(check);
      check();
    });
  }

  private later(delayMs: number): void {
    setTimeout(() => !this.stopped && this.socket.connect(), delayMs);
  }

  private async join(): Promise<void> {
    // a join sent as the connection closed may get no answer: the next connection joins
    const ack = (await this.socket
      .timeout(5000)
      .emitWithAck('presence:join', { roomId: this.roomId, connId: this.connId })
      .catch(() => undefined)) as Ack<JoinResult> | undefined;
    if (ack?.ok) {
      this.epoch = ack.data.epoch;
      this.joins.push(ack.data);
      this.joinedHere = true;
    } else if (ack) {
      this.refusals.push(`join: ${ack.error.code}`);
    }
    this.changed();
  }

  private heartbeat(): void {
    if (this.socket.connected && this.epoch > 0) {
      const { roomId, connId, epoch } = this;
      this.socket.emit('presence:heartbeat', { roomId, connId, epoch }, () => {});
    }
  }
}

export interface WorkerStats {
  pid: number;
  connections: number;
}

/** Each worker's /stats, read on its own metrics port (METRICS_PORT + its slot). */
export async function workerStats(metricsPort: number, workers: number): Promise<WorkerStats[]> {
  return Promise.all(
    Array.from({ length: workers }, async (_, slot) => {
      const url = `http://127.0.0.1:${metricsPort + slot}`;
      const { body } = await getJson<{ nodeId: string; connections: number }>(url, '/stats');
      return { pid: Number(body.nodeId.split('-')[0]), connections: body.connections };
    }),
  );
}

/** The JSON log lines of the primary and its workers whose `message.msg` is `msg`. */
export function logged(app: AppProcess, msg: string): Record<string, unknown>[] {
  return app.logs.split('\n').flatMap((line) => {
    const entry = parsed(line);
    return entry?.message?.msg === msg ? [entry.message] : [];
  });
}

function parsed(
  line: string,
): { message?: { msg?: string } & Record<string, unknown> } | undefined {
  try {
    return JSON.parse(line) as { message?: { msg?: string } & Record<string, unknown> };
  } catch {
    return undefined; // Nest's start-up lines, or a line that is not JSON
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
