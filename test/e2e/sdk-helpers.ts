import type { Socket } from 'socket.io-client';
import { RealtimeClient, type RealtimeClientOptions } from '@avalon-realtime/client';
import { tokenFor } from '../support/tokens.js';

/** Emitters of the SDK (client, channels) as tests listen to them. */
interface Listenable {
  on(event: string, handler: (...args: never[]) => void): unknown;
  off(event: string, handler: (...args: never[]) => void): unknown;
}

/** SDK clients a suite made, closed in afterEach/afterAll. */
export class Clients {
  private readonly made: RealtimeClient[] = [];

  /** A client of `userId` whose provider signs a fresh test token each time. */
  make(url: string, userId: string, options: Partial<RealtimeClientOptions> = {}): RealtimeClient {
    const client = new RealtimeClient({
      url,
      token: () => tokenFor(userId),
      transports: ['websocket'],
      requestTimeoutMs: 3000,
      reconnect: { minDelayMs: 50, maxDelayMs: 400 },
      ...options,
    });
    this.made.push(client);
    return client;
  }

  async connected(url: string, userId: string, options: Partial<RealtimeClientOptions> = {}) {
    const client = this.make(url, userId, options);
    await client.connect();
    return client;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.made.splice(0).map((client) => client.close()));
  }
}

/** The next `event` of an SDK emitter whose arguments match `predicate`. */
export function nextOf<T extends unknown[] = unknown[]>(
  emitter: Listenable,
  event: string,
  predicate: (...args: T) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const handler = (...args: T) => {
      if (predicate(...args)) {
        clearTimeout(timer);
        emitter.off(event, handler as never);
        resolve(args);
      }
    };
    const timer = setTimeout(() => {
      emitter.off(event, handler as never);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.on(event, handler as never);
  });
}

/** Records every `event` of an SDK emitter (its first argument). */
export function recordOf<T>(emitter: Listenable, event: string): T[] {
  const seen: T[] = [];
  emitter.on(event, (value: T) => seen.push(value));
  return seen;
}

/** Polls `condition` until true; fails after `timeoutMs` (for what has no event). */
export async function until(condition: () => boolean, timeoutMs = 5000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`${what} not met within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The client's socket.io socket (the SDK keeps it private). */
export const socketOf = (client: RealtimeClient): Socket =>
  (client as unknown as { socket: Socket }).socket;

/**
 * Cuts the client's websocket abruptly (TCP reset, no goodbye): the server sees a lost
 * transport, socket.io-client reconnects by itself.
 */
export function dropTransport(client: RealtimeClient): void {
  const engine = socketOf(client).io.engine as unknown as {
    transport?: { ws?: { terminate?: () => void } };
  };
  const ws = engine.transport?.ws;
  if (!ws?.terminate) {
    throw new Error('dropTransport needs a websocket transport (node `ws`)');
  }
  ws.terminate();
}

export { TcpProxy } from '../support/tcp-proxy.js';
