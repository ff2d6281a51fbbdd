import type { IncomingMessage } from 'node:http';

/** The client's IP: the socket's peer, or the first X-Forwarded-For hop behind a trusted proxy. */
export function clientIp(request: IncomingMessage, trustProxy: number): string {
  if (trustProxy > 0) {
    const forwarded = request.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) {
      return first;
    }
  }
  return request.socket.remoteAddress ?? 'unknown';
}
