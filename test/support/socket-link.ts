import type { Socket } from 'socket.io-client';
import {
  RealtimeError,
  type Ack,
  type ClientLink,
  type PushEvent,
  type RequestEvent,
  type RequestOptions,
  type RequestPayload,
  type RequestResult,
  type ServerToClientEvents,
} from '@avalon-realtime/client';
import type { TestSocket } from './client.js';

const RETRIES = 5;

/**
 * A minimal ClientLink over one real socket.io-client socket, for testing channel objects
 * without RealtimeClient: acks become data or a thrown RealtimeError, retryable codes are
 * sent again, UNAVAILABLE goes through readBeforeRetry, and reconnect hooks run on every
 * 'connect' after the first.
 */
export class SocketLink implements ClientLink {
  private readonly hooks = new Set<() => Promise<void>>();
  private readonly onConnect = () => {
    void Promise.all([...this.hooks].map((hook) => hook()));
  };

  constructor(
    private readonly socket: TestSocket,
    private readonly timeoutMs = 5000,
  ) {}

  async request<E extends RequestEvent>(
    event: E,
    payload: RequestPayload<E>,
    options: RequestOptions = {},
  ): Promise<RequestResult<E>> {
    const raw = this.socket as unknown as Socket;
    for (let attempt = 0; ; attempt++) {
      const ack = (await raw
        .timeout(options.timeoutMs ?? this.timeoutMs)
        .emitWithAck(event, payload)) as Ack<RequestResult<E>>;
      if (ack.ok) {
        return ack.data;
      }
      const error = RealtimeError.from(ack.error);
      if (attempt >= (options.retries ?? RETRIES)) {
        throw error;
      }
      if (error.code === 'UNAVAILABLE' && options.readBeforeRetry) {
        const done = await options.readBeforeRetry();
        if (done !== undefined) {
          return done as RequestResult<E>;
        }
      } else if (!error.retryable) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
    }
  }

  listen<E extends PushEvent>(event: E, handler: ServerToClientEvents[E]): () => void {
    const raw = this.socket as unknown as Socket;
    raw.on(event, handler as never);
    return () => void raw.off(event, handler as never);
  }

  /** The socket's 'connect' listener exists only while hooks do (tests count listeners). */
  onReconnect(hook: () => Promise<void>): () => void {
    if (this.hooks.size === 0) {
      this.socket.on('connect', this.onConnect);
    }
    this.hooks.add(hook);
    return () => {
      this.hooks.delete(hook);
      if (this.hooks.size === 0) {
        this.socket.off('connect', this.onConnect);
      }
    };
  }
}
