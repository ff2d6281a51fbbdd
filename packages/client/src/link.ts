import type { Ack } from './protocol/ack.js';
import type { ClientToServerEvents, ServerToClientEvents } from './protocol/event-maps.js';

/** A request event the server acknowledges. */
export type RequestEvent = keyof ClientToServerEvents;
/** The payload a request event takes. */
export type RequestPayload<E extends RequestEvent> = Parameters<ClientToServerEvents[E]>[0];
/** The `data` of a successful acknowledgement of E. */
export type RequestResult<E extends RequestEvent> =
  Parameters<Parameters<ClientToServerEvents[E]>[1]>[0] extends Ack<infer R> ? R : never;
/** A push the server sends. */
export type PushEvent = keyof ServerToClientEvents;

export interface RequestOptions {
  /** Per attempt; defaults to the client's requestTimeoutMs. */
  timeoutMs?: number;
  /** Retries of BUSY, RATE_LIMITED, OVERLOADED and SHUTTING_DOWN; defaults to the client's. */
  retries?: number;
  /**
   * Called before retrying after UNAVAILABLE (a write may or may not have happened): read,
   * then resolve with a result to stop (the write is known to have happened) or undefined
   * to send the request again. Without it, UNAVAILABLE is thrown.
   */
  readBeforeRetry?: () => Promise<unknown>;
}

/**
 * What channel objects (presence, metadata) need from their RealtimeClient. Internal: the
 * public API is RealtimeClient's.
 */
export interface ClientLink {
  request<E extends RequestEvent>(
    event: E,
    payload: RequestPayload<E>,
    options?: RequestOptions,
  ): Promise<RequestResult<E>>;
  /** Listens to a push until the returned function is called. */
  listen<E extends PushEvent>(event: E, handler: ServerToClientEvents[E]): () => void;
  /**
   * Runs after every reconnect, once the socket is connected again and before requests
   * queued during the outage go out. Presence channels resume here, then metadata clients
   * re-subscribe and re-read. Returns the function that removes the hook.
   */
  onReconnect(hook: () => Promise<void>): () => void;
}
