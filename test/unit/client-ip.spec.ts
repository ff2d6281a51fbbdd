import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { MAX_FORWARDED_CHARS, clientIp, normaliseIp } from '../../src/rate-limit/client-ip.js';

const PEER = '10.0.0.254';

/** A request as Node's HTTP server hands it over: headers lower-cased, repeated ones as an array. */
const requestWith = (forwarded?: string | string[], peer = PEER): IncomingMessage =>
  ({
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
    socket: { remoteAddress: peer },
  }) as unknown as IncomingMessage;

describe('client address for per-IP limits', () => {
  it('is the peer address without TRUST_PROXY, whatever X-Forwarded-For says', () => {
    expect(clientIp(requestWith('1.2.3.4'), 0)).toBe(PEER);
  });

  it('is the Nth entry from the right with TRUST_PROXY=N', () => {
    const header = '6.6.6.6, 203.0.113.7, 10.1.1.1, 10.2.2.2';
    expect(clientIp(requestWith(header), 1)).toBe('10.2.2.2');
    expect(clientIp(requestWith(header), 2)).toBe('10.1.1.1');
    expect(clientIp(requestWith(header), 3)).toBe('203.0.113.7');
  });

  it('ignores whatever the client wrote left of the trusted entries', () => {
    for (let n = 0; n < 50; n++) {
      const forged = Array.from({ length: 1 + (n % 7) }, () => randomBytes(8).toString('hex'));
      const header = [...forged, `198.51.100.${n % 4}`, '10.0.0.9'].join(', ');
      expect(clientIp(requestWith(header), 2)).toBe(`198.51.100.${n % 4}`);
    }
  });

  it('reads several header lines as one list, in order', () => {
    expect(clientIp(requestWith(['9.9.9.9, 203.0.113.7', '10.1.1.1']), 2)).toBe('203.0.113.7');
  });

  it('takes the leftmost entry when there are fewer than N, and the peer when there are none', () => {
    expect(clientIp(requestWith('203.0.113.7'), 3)).toBe('203.0.113.7');
    expect(clientIp(requestWith(), 1)).toBe(PEER);
    expect(clientIp(requestWith(' , ,'), 1)).toBe(PEER);
  });

  it('falls back to the peer when the chosen entry is not an IP address', () => {
    for (const entry of [
      'unknown',
      '1.2.3.4:80',
      '[::1]',
      '999.1.1.1',
      'evil.example',
      'a'.repeat(40),
    ]) {
      expect(clientIp(requestWith(`203.0.113.7, ${entry}`), 1)).toBe(PEER);
    }
  });

  it('normalises IPv4-mapped IPv6, IPv6 case and zone indexes, on the header and the peer', () => {
    expect(clientIp(requestWith('::ffff:203.0.113.7'), 1)).toBe('203.0.113.7');
    expect(clientIp(requestWith('::FFFF:203.0.113.7'), 1)).toBe('203.0.113.7');
    expect(clientIp(requestWith('2001:DB8::1'), 1)).toBe('2001:db8::1');
    expect(clientIp(requestWith(`fe80::1%${'x'.repeat(300)}`), 1)).toBe('fe80::1');
    expect(clientIp(requestWith(undefined, '::ffff:127.0.0.1'), 1)).toBe('127.0.0.1');
    expect(normaliseIp('::ffff:999.0.0.1')).toBeUndefined();
  });

  it('reads a 16 KB header only from its right end, where the trusted entries are', () => {
    const flood = Array.from({ length: 2000 }, (_, i) => `10.9.${i % 250}.${i % 200}`).join(', ');
    expect(flood.length).toBeGreaterThan(16 * 1024);
    expect(clientIp(requestWith(`${flood}, 203.0.113.7, 10.0.0.9`), 2)).toBe('203.0.113.7');
    const oneHugeEntry = `${'1'.repeat(16 * 1024)}.2.3.4`;
    expect(clientIp(requestWith(oneHugeEntry), 1)).toBe(PEER);
    // the cap keeps 32 hops (the most TRUST_PROXY allows) of the longest IPv6 spelling
    const hops = Array.from(
      { length: 32 },
      (_, i) => `2001:db8:ffff:ffff:ffff:ffff:ffff:${i + 1000}`,
    );
    expect(clientIp(requestWith([flood, hops.join(', ')]), 32)).toBe(hops[0]);
  });

  it('never returns anything but an IP address or the peer, for random headers', () => {
    for (let n = 0; n < 500; n++) {
      const header = randomBytes(1 + (n % 64)).toString('latin1');
      const ip = clientIp(requestWith(header), 1 + (n % 3));
      expect(ip === PEER || normaliseIp(ip) === ip).toBe(true);
    }
    expect(MAX_FORWARDED_CHARS).toBe(2048);
  });
});
