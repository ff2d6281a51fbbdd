import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type {
  Ack,
  ClientToServerEvents,
  ServerToClientEvents,
} from '@avalon-realtime/client/protocol';
import { tokenFor } from './tokens.js';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const DEFAULT_TIMEOUT_MS = 5000;

export interface ConnectOptions {
  token?: string;
  /** Sent with the websocket upgrade (e.g. Origin, X-Forwarded-For). */
  extraHeaders?: Record<string, string>;
  /** Offer permessage-deflate (socket.io-client's default) or not. */
  perMessageDeflate?: boolean;
}

export type RefusalError = Error & { data?: { code: string; message: string } };

/**
 * Connects as `userId` (or with an explicit token) over websocket, with headers and
 * compression under the test's control; resolves once connected.
 */
export async function connect(
  url: string,
  userId: string,
  options: ConnectOptions = {},
): Promise<TestSocket> {
  const token = options.token ?? (await tokenFor(userId));
  const settings: Record<string, unknown> = {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(options.extraHeaders ? { extraHeaders: options.extraHeaders } : {}),
    // socket.io-client offers permessage-deflate (threshold 1 KiB) unless told `false`
    ...(options.perMessageDeflate === false ? { perMessageDeflate: false } : {}),
  };
  const socket = io(url, settings as Partial<ManagerOptions & SocketOptions>) as TestSocket;
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
  return socket;
}

/** The `connect_error` of a handshake that must be refused (fails if it is accepted). */
export async function refusedWith(
  url: string,
  userId: string,
  options: ConnectOptions = {},
): Promise<RefusalError> {
  try {
    const socket = await connect(url, userId, options);
    socket.close();
  } catch (err) {
    return err as RefusalError;
  }
  throw new Error(`handshake of ${userId} was accepted`);
}

/** The `connect_error` a refused handshake gets. */
export async function refusal(url: string, auth: Record<string, unknown>): Promise<RefusalError> {
  const socket = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  try {
    return await new Promise((resolve, reject) => {
      socket.once('connect', () => reject(new Error('handshake was accepted')));
      socket.once('connect_error', (err) => resolve(err as Error & { data?: never }));
    });
  } finally {
    socket.close();
  }
}

/** Emits a request and awaits its ack. Untyped on purpose: tests also send bad payloads. */
export function request<T = unknown>(
  socket: TestSocket,
  event: string,
  payload?: unknown,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<Ack<T>> {
  const raw = socket as unknown as Socket;
  const timed = raw.timeout(timeoutMs);
  return (
    payload === undefined ? timed.emitWithAck(event) : timed.emitWithAck(event, payload)
  ) as Promise<Ack<T>>;
}

/** Like request(), but fails the test unless the ack is ok; returns the data. */
export async function requestOk<T = unknown>(
  socket: TestSocket,
  event: string,
  payload?: unknown,
): Promise<T> {
  const ack = await request<T>(socket, event, payload);
  if (!ack.ok) {
    throw new Error(`${event} failed: ${ack.error.code} ${ack.error.message}`);
  }
  return ack.data;
}

/** The next `event` the socket receives that matches `predicate`. */
export function nextEvent<T = unknown>(
  socket: TestSocket,
  event: string,
  predicate: (payload: T) => boolean = () => true,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<T> {
  const raw = socket as unknown as Socket;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      raw.off(event, listener);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (predicate(payload)) {
        clearTimeout(timer);
        raw.off(event, listener);
        resolve(payload);
      }
    };
    raw.on(event, listener);
  });
}

/** Records every `event` the socket receives, for asserting what did NOT happen. */
export function record<T = unknown>(socket: TestSocket, event: string): T[] {
  const seen: T[] = [];
  (socket as unknown as Socket).on(event, (payload: T) => seen.push(payload));
  return seen;
}

/** Closes sockets and waits until the server has seen each disconnect. */
export function closeAll(...sockets: (TestSocket | undefined)[]): void {
  sockets.forEach((socket) => socket?.close());
}

/**
 * Resolves once the events recorded by record() satisfy `done`, re-checking after each new
 * `event`; fails after `timeoutMs`. Lets a test wait for "these N events" without sleeping.
 */
export function untilRecorded<T>(
  socket: TestSocket,
  event: string,
  seen: T[],
  done: (seen: T[]) => boolean,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<T[]> {
  if (done(seen)) {
    return Promise.resolve(seen);
  }
  const raw = socket as unknown as Socket;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      raw.off(event, listener);
      reject(
        new Error(
          `recorded ${event}s did not settle within ${timeoutMs} ms: ${JSON.stringify(seen)}`,
        ),
      );
    }, timeoutMs);
    // Registered after record()'s listener, so `seen` already holds the new event here.
    const listener = () => {
      if (done(seen)) {
        clearTimeout(timer);
        raw.off(event, listener);
        resolve(seen);
      }
    };
    raw.on(event, listener);
  });
}

/**
 * Cuts the socket's transport abruptly (TCP reset, no close frame, no Socket.IO goodbye), so
 * the server sees a lost transport ('transport close'), not a client disconnect.
 * Resolves once the client has noticed.
 */
export async function dropTransport(socket: TestSocket): Promise<void> {
  const raw = socket as unknown as Socket;
  const transport = (
    raw.io.engine as unknown as { transport?: { ws?: { terminate?: () => void } } }
  ).transport;
  const terminate = transport?.ws?.terminate?.bind(transport.ws);
  if (!terminate) {
    throw new Error('dropTransport needs a connected websocket transport (node `ws`)');
  }
  const gone = new Promise<void>((resolve) => raw.once('disconnect', () => resolve()));
  terminate();
  await gone;
}

/** Closes sockets and resolves once each has seen its own disconnect. */
export async function closeAndWait(...sockets: (TestSocket | undefined)[]): Promise<void> {
  await Promise.all(
    sockets.map((socket) => {
      if (!socket || !socket.connected) {
        socket?.close();
        return Promise.resolve();
      }
      const gone = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
      socket.close();
      return gone;
    }),
  );
}
