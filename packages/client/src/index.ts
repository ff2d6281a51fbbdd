export { RealtimeError, RETRYABLE_CODES } from './errors.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export * from './protocol/index.js';
export { webSocketTransport, type WebSocketLike } from './transport.js';
export {
  RealtimeClient,
  type ClientStatus,
  type RealtimeClientEvents,
  type RealtimeClientOptions,
  type TokenProvider,
} from './realtime-client.js';
export {
  PresenceChannel,
  type PresenceChannelEvents,
  type PresenceClosedReason,
  type PresenceOptions,
} from './presence-channel.js';
export type {
  ClientLink,
  PushEvent,
  RequestEvent,
  RequestOptions,
  RequestPayload,
  RequestResult,
} from './link.js';
