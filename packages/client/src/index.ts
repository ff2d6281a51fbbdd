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
// Channel metadata (issue 10, branch metadata)
export {
  ChannelMetadataClient,
  type ChannelMetadataEvents,
  type ChannelMetadataOptions,
  type MetadataChange,
  type WriteOptions,
} from './metadata-client.js';
export { ChannelLock, type ChannelLockEvents, type LockOptions } from './channel-lock.js';
export type { UpdateFn } from './metadata-update.js';
