import { Injectable, Logger } from '@nestjs/common';
import { SignJWT, errors, jwtVerify } from 'jose';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { isResourceId } from '../common/ids.js';
import { ErrorCode } from '../common/protocol/index.js';

const ALGORITHM = 'HS256';

/** Signs and verifies handshake tokens: HS256 only, `exp` honoured, `sub` is the user id. */
@Injectable()
export class JwtService {
  private readonly logger = new Logger(JwtService.name);
  private readonly key: Uint8Array;

  constructor(config: AppConfig) {
    const secret = config.get('AUTH_JWT_SECRET');
    if (secret) {
      this.key = new TextEncoder().encode(secret);
    } else {
      // Only reachable outside production: validation refuses a missing secret there.
      this.key = randomBytes(32);
      this.logger.warn(
        '!!! AUTH_JWT_SECRET is not set: using a random secret for this process only. ' +
          'Tokens from `npm run token` will NOT be accepted, and processes will not accept ' +
          "each other's tokens. Set AUTH_JWT_SECRET (required when NODE_ENV=production). !!!",
      );
    }
  }

  /** The user id carried by a valid token; UNAUTHENTICATED otherwise, saying why. */
  async verify(token: unknown): Promise<string> {
    if (typeof token !== 'string' || token.length === 0) {
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'missing token: pass auth.token');
    }
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALGORITHM] });
      if (!isResourceId(payload.sub)) {
        throw new AppError(ErrorCode.UNAUTHENTICATED, 'token sub is not a valid user id');
      }
      return payload.sub;
    } catch (err) {
      throw err instanceof AppError ? err : new AppError(ErrorCode.UNAUTHENTICATED, reason(err));
    }
  }

  /** A token for `userId`, valid for `expiresInS` seconds. */
  sign(userId: string, expiresInS = 24 * 3600): Promise<string> {
    return signToken(this.key, userId, expiresInS);
  }
}

export function signToken(key: Uint8Array, userId: string, expiresInS: number): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: ALGORITHM })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInS)
    .sign(key);
}

function reason(err: unknown): string {
  if (err instanceof errors.JWTExpired) {
    return 'token expired';
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return 'token algorithm not allowed';
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return 'token signature invalid';
  }
  return 'token invalid';
}
