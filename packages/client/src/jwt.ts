const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The times a JWT's payload carries, epoch seconds; absent when the token says nothing. */
export interface TokenTimes {
  exp?: number;
  iat?: number;
}

/**
 * Reads `exp` and `iat` from a JWT's payload without verifying it (the server verifies;
 * the client only needs to know when to refresh). Written out because WeChat has no
 * `atob` and no Buffer. Anything unreadable gives `{}`.
 */
export function tokenTimes(token: string): TokenTimes {
  const part = token.split('.')[1];
  if (!part) {
    return {};
  }
  try {
    const payload: unknown = JSON.parse(utf8(base64UrlBytes(part)));
    if (typeof payload !== 'object' || payload === null) {
      return {};
    }
    const { exp, iat } = payload as Record<string, unknown>;
    return {
      ...(typeof exp === 'number' && Number.isFinite(exp) ? { exp } : {}),
      ...(typeof iat === 'number' && Number.isFinite(iat) ? { iat } : {}),
    };
  } catch {
    return {};
  }
}

/** Base64url (padding optional; `+` and `/` accepted too) to bytes; throws on a bad character. */
export function base64UrlBytes(text: string): number[] {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text.replace(/=+$/, '')) {
    const index = ALPHABET.indexOf(char === '+' ? '-' : char === '/' ? '_' : char);
    if (index < 0) {
      throw new Error('not base64url');
    }
    buffer = ((buffer << 6) | index) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return bytes;
}

/** UTF-8 bytes to a string (no TextDecoder in every runtime); throws on invalid UTF-8. */
function utf8(bytes: number[]): string {
  return decodeURIComponent(bytes.map((b) => '%' + (b < 16 ? '0' : '') + b.toString(16)).join(''));
}
