import type {
  Ack,
  ChannelRef,
  ErrorBody,
  LockGrant,
  MetadataSnapshot,
  MetadataWriteResult,
} from '@avalon-realtime/client/protocol';
import { request, requestOk, type TestSocket } from '../support/client.js';

export const roomCh = (roomId: string): ChannelRef => ({
  channelType: 'room',
  channelName: roomId,
});

export const userCh = (userId: string): ChannelRef => ({
  channelType: 'user',
  channelName: userId,
});

export const getMeta = (socket: TestSocket, channel: ChannelRef) =>
  requestOk<MetadataSnapshot>(socket, 'metadata:get', channel);

export const setMeta = (socket: TestSocket, payload: Record<string, unknown>) =>
  request<MetadataWriteResult>(socket, 'metadata:set', payload);

export const updateMeta = (socket: TestSocket, payload: Record<string, unknown>) =>
  request<MetadataWriteResult>(socket, 'metadata:update', payload);

export const removeMeta = (socket: TestSocket, payload: Record<string, unknown>) =>
  request<MetadataWriteResult>(socket, 'metadata:remove', payload);

export const acquire = (socket: TestSocket, payload: Record<string, unknown>) =>
  request<LockGrant>(socket, 'lock:acquire', payload);

/** The ack's data; fails the test (with the error) unless the ack is ok. */
export function okData<T>(ack: Ack<T>): T {
  if (!ack.ok) {
    throw new Error(`expected ok, got ${ack.error.code}: ${ack.error.message}`);
  }
  return ack.data;
}

/** The ack's error; fails the test unless the ack failed with `code`. */
export function errorOf(ack: Ack<unknown>, code: string): ErrorBody {
  if (ack.ok) {
    throw new Error(`expected ${code}, got ok: ${JSON.stringify(ack.data)}`);
  }
  expect(ack.error.code).toBe(code);
  return ack.error;
}

/** An item as a write ack or a snapshot shows it. */
export const anItem = (key: string, value: unknown, revision: number, authorUserId: string) => ({
  key,
  value,
  revision,
  updatedAt: expect.any(Number),
  authorUserId,
});
