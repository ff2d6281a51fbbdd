// Handshake tokens signed inside the load generator: HS256 JWTs like `npm run token`
// prints (`sub` = user id, `exp` required, optional `iss`/`aud`). For test deployments only:
// whoever holds AUTH_JWT_SECRET can be any user.

/**
 * The two primitives signing needs; k6 has them in k6/encoding and k6/crypto, Node in Buffer
 * and node:crypto.
 * @typedef {{
 *   base64url(text: string): string,
 *   hmacSha256Base64url(secret: string, text: string): string,
 * }} JwtCodec
 */

/**
 * @typedef {{ expiresInS: number, issuer?: string, audience?: string }} TokenOptions
 */

/**
 * A token for `userId`, issued at `nowMs`, valid `expiresInS` seconds.
 * @param {string} userId
 * @param {string} secret AUTH_JWT_SECRET of the deployment under test
 * @param {number} nowMs
 * @param {TokenOptions} options
 * @param {JwtCodec} codec
 */
export function handshakeToken(userId, secret, nowMs, options, codec) {
  const iat = Math.floor(nowMs / 1000);
  const claims = {
    sub: userId,
    iat,
    exp: iat + options.expiresInS,
    ...(options.issuer ? { iss: options.issuer } : {}),
    ...(options.audience ? { aud: options.audience } : {}),
  };
  const header = codec.base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const signed = `${header}.${codec.base64url(JSON.stringify(claims))}`;
  return `${signed}.${codec.hmacSha256Base64url(secret, signed)}`;
}
