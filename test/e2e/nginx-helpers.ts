import { io } from 'socket.io-client';
import type { AppProcess } from '../support/app.js';
import { getJson } from '../support/ops.js';

export type Transport = 'websocket' | 'polling';

/** How many Socket.IO connections `app` holds (its /stats, asked directly, not via nginx). */
export async function connectionsOn(app: AppProcess): Promise<number> {
  const { body } = await getJson<{ connections: number }>(app.url, '/stats');
  return body.connections;
}

/**
 * One websocket handshake from `localAddress` with `token` (and extra headers); resolves
 * with `connected` or the refusal's code.
 */
export async function handshake(
  url: string,
  token: string,
  options: { localAddress: string; headers?: Record<string, string> },
): Promise<string> {
  const socket = io(url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    localAddress: options.localAddress,
    ...(options.headers ? { extraHeaders: options.headers } : {}),
  } as Parameters<typeof io>[1]);
  try {
    return await new Promise<string>((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (err: Error & { data?: { code?: string } }) =>
        resolve(err.data?.code ?? err.message),
      );
    });
  } finally {
    socket.close();
  }
}
