import { SignJWT, decodeJwt } from 'jose';
import { signToken } from '../../src/auth/jwt.service.js';

export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef';
const key = new TextEncoder().encode(TEST_JWT_SECRET);

/** Epoch seconds, the unit of JWT times. */
export const nowS = (): number => Math.floor(Date.now() / 1000);

/** A valid handshake token for `userId` (override expiry with `expSec`, negative = expired). */
export const tokenFor = (userId: string, { expSec = 3600 } = {}): Promise<string> =>
  signToken(key, userId, expSec);

/** A token signed with another secret. */
export const foreignToken = (userId: string): Promise<string> =>
  signToken(new TextEncoder().encode('some-other-secret-0123456789'), userId, 3600);

/** A well-signed token whose claims are whatever the test says. */
export const tokenWithClaims = (claims: Record<string, unknown>, alg = 'HS256'): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg }).sign(key);

/** The `exp` a token carries. */
export const expOf = (token: string): number => decodeJwt(token).exp as number;
