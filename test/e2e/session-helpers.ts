import type {
  JoinResult,
  LockEvent,
  MetadataEvent,
  PresenceEvent,
  RoomMessage,
} from '@avalon-realtime/client/protocol';
import { nextEvent, record, requestOk, type TestSocket } from '../support/client.js';
import { acquire, okData, roomCh, setMeta } from './metadata-helpers.js';
import { heartbeat } from './presence-helpers.js';

/** What a socket heard of rooms, per event. */
export interface Heard {
  presence: PresenceEvent[];
  metadata: MetadataEvent[];
  locks: LockEvent[];
  messages: RoomMessage[];
}

/** Records the four room events a socket can hear, from now on. */
export function hearing(socket: TestSocket): Heard {
  return {
    presence: record<PresenceEvent>(socket, 'presence:event'),
    metadata: record<MetadataEvent>(socket, 'metadata:event'),
    locks: record<LockEvent>(socket, 'lock:event'),
    messages: record<RoomMessage>(socket, 'room:message'),
  };
}

let markers = 0;

/**
 * `sender`, holding `session`, sends one of each room event (a message, a metadata write,
 * a lock grant, a presence update), then a marker message; resolves with the marker once
 * every socket in `until` has heard it. Each is sent after the previous one's ack, so a
 * listener that heard the marker has heard the rest.
 */
export async function sendEveryRoomEvent(
  sender: TestSocket,
  session: JoinResult,
  until: TestSocket[],
): Promise<string> {
  const { roomId, connId, epoch } = session;
  const marker = `marker-${++markers}`;
  const heard = until.map((socket) =>
    nextEvent<RoomMessage>(socket, 'room:message', (m) => m.type === marker),
  );
  await requestOk(sender, 'room:message', { roomId, type: 'chat', data: marker });
  okData(await setMeta(sender, { ...roomCh(roomId), items: [{ key: 'k', value: marker }] }));
  okData(await acquire(sender, { ...roomCh(roomId), lockName: marker, ttlMs: 60_000 }));
  okData(await heartbeat(sender, { roomId, connId, epoch, state: { marker } }));
  await requestOk(sender, 'room:message', { roomId, type: marker, data: {} });
  await Promise.all(heard);
  return marker;
}

/** Whether `heard` holds each room event sendEveryRoomEvent sent with `marker`. */
export function heardEvery(heard: Heard, marker: string): boolean {
  return (
    heard.messages.some((m) => m.type === 'chat' && m.data === marker) &&
    heard.messages.some((m) => m.type === marker) &&
    heard.metadata.some((e) => e.items.some((item) => 'value' in item && item.value === marker)) &&
    heard.locks.some((e) => e.lockName === marker && e.type === 'acquired') &&
    heard.presence.some((e) => e.type === 'update' && e.member?.state.marker === marker)
  );
}

/**
 * Resolves once `socket` has received everything its process sent it so far: a request's
 * ack travels behind every event sent to the socket before it. Call it after a listener
 * on the same process heard the marker, then assert what `socket` did not hear.
 */
export async function drained(socket: TestSocket, roomId: string): Promise<void> {
  await requestOk(socket, 'presence:list', { roomId });
}

/** Nothing heard at all. */
export const NOTHING: Heard = { presence: [], metadata: [], locks: [], messages: [] };
