import type { Socket } from 'socket.io-client';
import type { Ack, GameUpdate } from '@avalon-realtime/client/protocol';
import { connect, request, type TestSocket } from '../support/client.js';

const WAIT_MS = 5000;

/** One packet a socket received: a push (any event) or the ack of one of its requests. */
export interface Packet {
  kind: 'push' | 'ack';
  event: string;
  /** As received, serialized again: the checks parse this, never a live object. */
  json: string;
}

/**
 * A socket of the leak test and every packet it ever received: every push through onAny,
 * every ack through ask(). The checks run on these recordings only.
 */
export class RecordedSocket {
  readonly packets: Packet[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(
    /** For failure messages: whose socket, on which process. */
    readonly name: string,
    readonly userId: string,
    readonly socket: TestSocket,
  ) {
    (socket as unknown as Socket).onAny((event: string, ...args: unknown[]) => {
      this.keep({ kind: 'push', event, json: JSON.stringify(args.length === 1 ? args[0] : args) });
    });
  }

  static async open(url: string, name: string, userId: string): Promise<RecordedSocket> {
    return new RecordedSocket(name, userId, await connect(url, userId));
  }

  /** Sends a request and records its ack, whatever it says. */
  async ask<T>(event: string, payload: Record<string, unknown>): Promise<Ack<T>> {
    const ack = await request<T>(this.socket, event, payload);
    this.keep({ kind: 'ack', event, json: JSON.stringify(ack) });
    return ack;
  }

  /** Like ask(), but fails unless the ack is ok. */
  async askOk<T>(event: string, payload: Record<string, unknown>): Promise<T> {
    const ack = await this.ask<T>(event, payload);
    if (!ack.ok) {
      throw new Error(`${this.name}: ${event} failed: ${ack.error.code} ${ack.error.message}`);
    }
    return ack.data;
  }

  /** The game:update pushes received so far, parsed. */
  updates(): GameUpdate[] {
    return this.packets
      .filter((p) => p.kind === 'push' && p.event === 'game:update')
      .map((p) => JSON.parse(p.json) as GameUpdate);
  }

  /** Resolves once a received packet satisfies `matches` (one received earlier counts). */
  untilPacket(matches: (packet: Packet) => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const settle = (err?: Error) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        return err ? reject(err) : resolve();
      };
      const check = () => this.packets.some(matches) && settle();
      const timer = setTimeout(
        () => settle(new Error(`${this.name}: no ${what} within ${WAIT_MS} ms`)),
        WAIT_MS,
      );
      this.waiters.add(check);
      check();
    });
  }

  untilVersion(version: number): Promise<void> {
    return this.untilPacket(
      (p) => p.event === 'game:update' && (JSON.parse(p.json) as GameUpdate).version >= version,
      `game:update of version ${version}`,
    );
  }

  private keep(packet: Packet): void {
    this.packets.push(packet);
    this.waiters.forEach((check) => check());
  }
}
