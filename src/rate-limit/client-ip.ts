import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * How much of X-Forwarded-For is read (all header lines together), from the right. The
 * trusted entries are on the right and are addresses (32 hops of IPv6 fit), so a longer
 * header only has client-written text to cut off its left.
 */
export const MAX_FORWARDED_CHARS = 2048;

const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The client's address for per-IP limits. Behind TRUST_PROXY = N proxies it is the Nth
 * X-Forwarded-For entry from the right: the address the outermost trusted proxy saw, so
 * whatever the client wrote to its left changes nothing. With fewer entries than N (the
 * request passed fewer proxies) the leftmost entry, which a trusted proxy wrote. Anything
 * that is not an IP address at that place, an entry cut off by the length cap, or no
 * header at all: the peer address. The result is always a normalised IP address (or
 * `unknown` for a socket already gone), never a string the client chose.
 */
export function clientIp(request: IncomingMessage, trustProxy: number): string {
  const peer = normaliseIp(request.socket.remoteAddress) ?? 'unknown';
  if (trustProxy <= 0) {
    return peer;
  }
  return normaliseIp(forwardedEntry(request.headers['x-forwarded-for'], trustProxy)) ?? peer;
}

/** The entry `hops` places from the right of every X-Forwarded-For line, read right to left. */
function forwardedEntry(header: string | string[] | undefined, hops: number): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  const joined = Array.isArray(header) ? header.join(',') : header;
  const cut = joined.length > MAX_FORWARDED_CHARS;
  const entries = joined
    .slice(-MAX_FORWARDED_CHARS)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (cut) {
    // The leftmost piece may be the tail of a longer entry: never an address to trust.
    entries.shift();
  }
  if (entries.length >= hops) {
    return entries[entries.length - hops];
  }
  return cut ? undefined : entries[0];
}

/**
 * A valid IP address in one spelling, else undefined: IPv4-mapped IPv6 as IPv4, IPv6
 * lower-case, without a zone index (`%eth0`, free text that names no other host).
 */
export function normaliseIp(address: string | undefined): string | undefined {
  const bare = address?.split('%')[0];
  if (bare === undefined || isIP(bare) === 0) {
    return undefined;
  }
  const mapped = MAPPED_IPV4.exec(bare);
  if (mapped && isIP(mapped[1]) === 4) {
    return mapped[1];
  }
  return bare.toLowerCase();
}
