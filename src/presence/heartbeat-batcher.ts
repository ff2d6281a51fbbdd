import type { HeartbeatCommand, HeartbeatOutcome } from '../engine/presence.engine.js';

export interface SentHeartbeat {
  outcome: HeartbeatOutcome;
  /** Only the last caller of a coalesced group announces, so one change is one `update`. */
  announce: boolean;
}

interface Waiter {
  resolve(value: SentHeartbeat): void;
  reject(err: unknown): void;
}

interface Group {
  cmd: HeartbeatCommand;
  waiters: Waiter[];
}

export type SendMany = (cmds: HeartbeatCommand[]) => Promise<(HeartbeatOutcome | Error)[]>;

/**
 * Gathers heartbeats for `windowMs` or until `maxSize`, then sends them in one call.
 * Heartbeats of the same session (room, connId, epoch) are coalesced into one command
 * whose state ops keep their order, so no patch is lost; each caller gets the group's
 * outcome or error.
 */
export class HeartbeatBatcher {
  private groups = new Map<string, Group>();
  private timer?: NodeJS.Timeout;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly sendMany: SendMany,
    private readonly windowMs: number,
    private readonly maxSize: number,
    private readonly onBatch: (size: number) => void = () => {},
  ) {}

  submit(cmd: HeartbeatCommand): Promise<SentHeartbeat> {
    return new Promise((resolve, reject) => {
      const key = `${cmd.roomId}\u0000${cmd.connId}\u0000${cmd.epoch}\u0000${cmd.userId}`;
      const group = this.groups.get(key);
      if (group) {
        group.cmd = { ...group.cmd, ops: [...group.cmd.ops, ...cmd.ops], ttlMs: cmd.ttlMs };
        group.waiters.push({ resolve, reject });
      } else {
        this.groups.set(key, { cmd, waiters: [{ resolve, reject }] });
      }
      if (this.groups.size >= this.maxSize) {
        this.flush();
      } else {
        this.timer ??= setTimeout(() => this.flush(), this.windowMs);
      }
    });
  }

  /** Sends what is pending now; resolves when every batch sent so far is answered. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all([...this.inFlight]);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const groups = [...this.groups.values()];
    this.groups = new Map();
    if (groups.length === 0) {
      return;
    }
    this.onBatch(groups.length);
    const sent = this.send(groups).finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }

  private async send(groups: Group[]): Promise<void> {
    let results: (HeartbeatOutcome | Error)[];
    try {
      results = await this.sendMany(groups.map((g) => g.cmd));
    } catch (err) {
      groups.forEach((g) => g.waiters.forEach((w) => w.reject(err)));
      return;
    }
    groups.forEach((group, i) => settle(group.waiters, results[i]));
  }
}

function settle(waiters: Waiter[], result: HeartbeatOutcome | Error | undefined): void {
  waiters.forEach((waiter, i) => {
    if (result instanceof Error || result === undefined) {
      waiter.reject(result ?? new Error('heartbeat batch returned no result'));
    } else {
      waiter.resolve({ outcome: result, announce: i === waiters.length - 1 });
    }
  });
}
