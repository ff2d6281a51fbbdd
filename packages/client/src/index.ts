export { RealtimeError, RETRYABLE_CODES } from './errors.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export * from './protocol/index.js';
export { webSocketTransport, type WebSocketLike } from './transport.js';
export type {
  ClientLink,
  PushEvent,
  RequestEvent,
  RequestOptions,
  RequestPayload,
  RequestResult,
} from './link.js';
