import { createHmac } from 'node:crypto';
import WebSocket from 'ws';
import { handshakeToken, type JwtCodec } from '../../k6/lib/jwt.js';
import type { Clock, WebSocketLike } from '../../k6/lib/types.js';
import { TEST_JWT_SECRET } from '../support/tokens.js';

// What k6's modules give k6/lib, as Node spells it (the scenario files get the same from
// test/e2e/k6-node/modules/ when run by k6-node/run.mjs).

/** k6/encoding and k6/crypto. */
export const nodeCodec: JwtCodec = {
  base64url: (text) => Buffer.from(text).toString('base64url'),
  hmacSha256Base64url: (secret, text) =>
    createHmac('sha256', secret).update(text).digest('base64url'),
};

/** Date.now and k6/timers. */
export const nodeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** k6/websockets' WebSocket. */
export const openSocket = (url: string): WebSocketLike => new WebSocket(url);

/** A handshake token from the scripts' own signer (what k6 sends with AUTH_JWT_SECRET). */
export const scriptToken = (userId: string, secret = TEST_JWT_SECRET): string =>
  handshakeToken(userId, secret, Date.now(), { expiresInS: 600 }, nodeCodec);
