import { Injectable, Logger } from '@nestjs/common';
// jose by subpath: its index loads every JWE/JWK/JWKS module too (46 files; issue 8).
import type { JWTPayload, JWTVerifyOptions } from 'jose';
import * as errors from 'jose/errors';
import { SignJWT } from 'jose/jwt/sign';
import { jwtVerify } from 'jose/jwt/verify';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';
import type { Env } from '../config/env.schema.js';
import { AppError } from '../common/errors/app-error.js';
import { isResourceId } from '../common/ids.js';
import { ErrorCode } from '@avalon-realtime/client/protocol';

const ALGORITHM = 'HS256';
/** Real tokens are a few hundred bytes; anything far larger is refused before any parsing. */
const MAX_TOKEN_LENGTH = 4096;

/** What a valid token says: who it is, and until when (`exp`, epoch seconds). */
export interface TokenClaims {
  userId: string;
  exp: number;
}

/** The optional claims a deployment pins: AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE. */
export interface TokenScope {
  issuer?: string;
  audience?: string;
}

/**
 * Signs and verifies handshake tokens: HS256 only, `exp` and `sub` required, `exp`/`nbf`/`iat`
 * checked with AUTH_CLOCK_TOLERANCE_S, `iss`/`aud` only when configured; `sub` is the user id.
 */
@Injectable()
export class JwtService {
  private readonly logger = new Logger(JwtService.name);
  private readonly key: Uint8Array;
  private readonly options: JWTVerifyOptions;
  private readonly scope: TokenScope;
  private readonly toleranceS: number;

  constructor(config: AppConfig) {
    this.key = this.keyFrom(config.get('AUTH_JWT_SECRET'));
    this.toleranceS = config.get('AUTH_CLOCK_TOLERANCE_S');
    this.scope = scopeFrom({
      AUTH_JWT_ISSUER: config.get('AUTH_JWT_ISSUER'),
      AUTH_JWT_AUDIENCE: config.get('AUTH_JWT_AUDIENCE'),
    });
    this.options = {
      algorithms: [ALGORITHM],
      clockTolerance: this.toleranceS,
      requiredClaims: ['exp', 'sub'],
      ...this.scope,
    };
  }

  /** The user id carried by a valid token; UNAUTHENTICATED otherwise, saying why. */
  async verify(token: unknown): Promise<string> {
    return (await this.authenticate(token)).userId;
  }

  /** The claims of a valid token; UNAUTHENTICATED otherwise, saying why (never echoing it). */
  async authenticate(token: unknown): Promise<TokenClaims> {
    if (typeof token !== 'string' || token.length === 0) {
      throw unauthenticated('missing token: pass auth.token (the query string is not read)');
    }
    if (token.length > MAX_TOKEN_LENGTH) {
      throw unauthenticated(`token too large (over ${MAX_TOKEN_LENGTH} characters)`);
    }
    try {
      const { payload } = await jwtVerify(token, this.key, this.options);
      return this.claimsOf(payload);
    } catch (err) {
      throw err instanceof AppError ? err : unauthenticated(reason(err));
    }
  }

  /** What jose leaves to us: the user id's shape, a finite exp, and iat's leeway. */
  private claimsOf({ sub, exp, iat }: JWTPayload): TokenClaims {
    if (!isResourceId(sub)) {
      throw unauthenticated('token sub is not a valid user id');
    }
    if (exp === undefined || !Number.isFinite(exp)) {
      throw unauthenticated('token exp claim must be a finite number'); // JSON's 1e999
    }
    if (iat !== undefined && iat > nowS() + this.toleranceS) {
      throw unauthenticated('token iat is in the future');
    }
    return { userId: sub, exp };
  }

  /** A token for `userId`, valid for `expiresInS` seconds, with the configured iss/aud. */
  sign(userId: string, expiresInS = 24 * 3600): Promise<string> {
    return signToken(this.key, userId, expiresInS, this.scope);
  }

  private keyFrom(secret: string | undefined): Uint8Array {
    if (secret) {
      return new TextEncoder().encode(secret);
    }
    // Only reachable outside production: validation refuses a missing secret there.
    this.logger.warn(
      '!!! AUTH_JWT_SECRET is not set: using a random secret for this process only. ' +
        'Tokens from `npm run token` will NOT be accepted, and processes will not accept ' +
        "each other's tokens. Set AUTH_JWT_SECRET (required when NODE_ENV=production). !!!",
    );
    return randomBytes(32);
  }
}

export function signToken(
  key: Uint8Array,
  userId: string,
  expiresInS: number,
  scope: TokenScope = {},
): Promise<string> {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: ALGORITHM })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(nowS() + expiresInS);
  if (scope.issuer) {
    jwt.setIssuer(scope.issuer);
  }
  if (scope.audience) {
    jwt.setAudience(scope.audience);
  }
  return jwt.sign(key);
}

/** AUTH_JWT_ISSUER / AUTH_JWT_AUDIENCE, leaving out the unset ones (unset = not checked). */
export function scopeFrom({
  AUTH_JWT_ISSUER: issuer,
  AUTH_JWT_AUDIENCE: audience,
}: Pick<Env, 'AUTH_JWT_ISSUER' | 'AUTH_JWT_AUDIENCE'>): TokenScope {
  return { ...(issuer ? { issuer } : {}), ...(audience ? { audience } : {}) };
}

const nowS = (): number => Math.floor(Date.now() / 1000);

const unauthenticated = (message: string): AppError =>
  new AppError(ErrorCode.UNAUTHENTICATED, message);

function reason(err: unknown): string {
  if (err instanceof errors.JWTExpired) {
    return 'token expired';
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    return claimReason(err);
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return 'token algorithm not allowed';
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return 'token signature invalid';
  }
  return 'token invalid';
}

/** jose names the claim and what failed; the claim's value is never repeated. */
function claimReason({ claim, reason: failure }: errors.JWTClaimValidationFailed): string {
  if (failure === 'missing') {
    return `token has no ${claim} claim`;
  }
  if (failure === 'invalid') {
    return `token ${claim} claim must be a number`;
  }
  return claim === 'nbf' ? 'token not valid yet (nbf)' : `token ${claim} not accepted`;
}
