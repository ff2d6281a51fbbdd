import type {
  HeartbeatResult,
  JoinResult,
  ListResult,
  PresenceEvent,
} from '@avalon-realtime/client/protocol';
import { nextEvent, request, requestOk, type TestSocket } from '../support/client.js';

export const join = (socket: TestSocket, payload: Record<string, unknown>) =>
  requestOk<JoinResult>(socket, 'presence:join', payload);

export const heartbeat = (socket: TestSocket, payload: Record<string, unknown>) =>
  request<HeartbeatResult>(socket, 'presence:heartbeat', payload);

export const list = (socket: TestSocket, roomId: string) =>
  requestOk<ListResult>(socket, 'presence:list', { roomId });

/**
 * Joins and waits until `observer` has heard of it (join, or update for a resume): the
 * observer's event and the joiner's ack travel on different sockets, in no fixed order.
 */
export async function joinSeenBy(
  observer: TestSocket,
  socket: TestSocket,
  payload: { roomId: string; connId: string; state?: Record<string, unknown> },
): Promise<JoinResult> {
  const heard = nextEvent<PresenceEvent>(
    observer,
    'presence:event',
    (e) => e.roomId === payload.roomId && e.connId === payload.connId && e.type !== 'leave',
  );
  const ack = await join(socket, payload);
  await heard;
  return ack;
}

/** Keeps a connection alive on a short-TTL server by heartbeating it; returns the stopper. */
export function keepAlive(socket: TestSocket, session: JoinResult, everyMs = 300): () => void {
  const timer = setInterval(() => {
    void heartbeat(socket, {
      roomId: session.roomId,
      connId: session.connId,
      epoch: session.epoch,
    }).catch(() => {});
  }, everyMs);
  return () => clearInterval(timer);
}
