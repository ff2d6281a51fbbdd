import type { JsonValue } from './payloads.js';

export type ChannelType = 'room' | 'user';

/** A room channel is named by its roomId; a user channel by its userId. */
export interface ChannelRef {
  channelType: ChannelType;
  channelName: string;
}

export interface MetadataItem {
  key: string;
  value: JsonValue;
  revision: number;
  updatedAt: number;
  authorUserId: string;
}

export interface MetadataSnapshot extends ChannelRef {
  majorRevision: number;
  items: MetadataItem[];
}

export interface ItemWrite {
  key: string;
  value: JsonValue;
  /** When ≥ 0, must equal the stored revision (0 = the item must not exist). */
  revision?: number;
}

export interface MetadataWriteRequest extends ChannelRef {
  items: ItemWrite[];
  majorRevision?: number;
  lockName?: string;
}

export interface MetadataRemoveRequest extends ChannelRef {
  keys?: string[];
  majorRevision?: number;
  lockName?: string;
}

/** The whole channel after a write. */
export interface MetadataWriteResult {
  majorRevision: number;
  items: MetadataItem[];
}

export interface RevisionConflictDetails {
  majorRevision: number;
  items: { key: string; revision: number }[];
}

export type MetadataEventType = 'set' | 'update' | 'remove';

export interface MetadataEvent extends ChannelRef {
  type: MetadataEventType;
  majorRevision: number;
  /** Only the changed items; removed items as `{ key }`. */
  items: (MetadataItem | { key: string })[];
  authorUserId: string;
  ts: number;
}

export interface LockRequest extends ChannelRef {
  lockName: string;
}

export interface LockAcquireRequest extends LockRequest {
  ttlMs: number;
}

export interface LockGrant {
  lockName: string;
  owner: string;
  token: number;
  expiresAt: number;
}

export interface LockSummary {
  lockName: string;
  owner: string;
  expiresAt: number;
}

export type LockEventType = 'acquired' | 'released' | 'expired';

export interface LockEvent extends ChannelRef {
  lockName: string;
  type: LockEventType;
  owner: string;
  ts: number;
}

export interface RoomMessageRequest {
  roomId: string;
  type?: string;
  data: JsonValue;
}

export interface RoomMessage {
  roomId: string;
  id: string;
  from: { userId: string; connId: string };
  type: string;
  data: JsonValue;
  ts: number;
}
