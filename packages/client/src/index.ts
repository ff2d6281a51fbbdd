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
// Channel metadata (issue 10, branch metadata)
export { ChannelMetadataClient } from './metadata-client.js';
export type {
  ChannelMetadataEvents,
  ChannelMetadataOptions,
  MetadataChange,
  WriteOptions,
} from './metadata-change.js';
export { ChannelLock, type ChannelLockEvents, type LockOptions } from './channel-lock.js';
export type { UpdateFn } from './metadata-update.js';
export type { ChangedItems } from './metadata-cache.js';
