import { tokenTimes, base64UrlBytes } from '../../packages/client/src/jwt.js';
import {
  applyMergePatch,
  diffMergePatch,
  jsonEqual,
} from '../../packages/client/src/merge-patch.js';
import type { JsonObject } from '../../packages/client/src/protocol/index.js';
import { tokenFor, tokenWithClaims } from '../support/tokens.js';

describe('SDK token times (JWT payload without atob or Buffer)', () => {
  it('reads exp and iat of a real token', async () => {
    const token = await tokenFor('alice', { expSec: 120 });
    const [, payload] = token.split('.');
    const expected = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      exp: number;
      iat: number;
    };
    expect(tokenTimes(token)).toEqual({ exp: expected.exp, iat: expected.iat });
  });

  it('decodes multi-byte UTF-8 claims and every base64url length', async () => {
    const token = await tokenWithClaims({ sub: 'ü-😀-名前', exp: 2_000_000_000 });
    expect(tokenTimes(token)).toEqual({ exp: 2_000_000_000 });
    for (const text of ['', 'a', 'ab', 'abc', 'abcd', 'ÿ\u0000x']) {
      const encoded = Buffer.from(text, 'utf8').toString('base64url');
      expect(Buffer.from(base64UrlBytes(encoded)).toString('utf8')).toBe(text);
    }
  });

  it('gives nothing for what is not a JWT', () => {
    expect(tokenTimes('opaque-token')).toEqual({});
    expect(tokenTimes('a.@@@.c')).toEqual({});
    expect(tokenTimes(`a.${Buffer.from('[1]').toString('base64url')}.c`)).toEqual({});
    expect(tokenTimes(`a.${Buffer.from('{"exp":"soon"}').toString('base64url')}.c`)).toEqual({});
  });
});

describe('SDK state coalescing (JSON merge patch)', () => {
  it('applies RFC 7386 patches without touching the inputs', () => {
    const target: JsonObject = { a: { b: 1, c: 2 }, d: [1, 2], e: 'x' };
    const patch: JsonObject = { a: { b: null, z: 3 }, d: [3], e: null, f: { g: 1 } };
    expect(applyMergePatch(target, patch)).toEqual({ a: { c: 2, z: 3 }, d: [3], f: { g: 1 } });
    expect(target).toEqual({ a: { b: 1, c: 2 }, d: [1, 2], e: 'x' });
  });

  it('turns any run of setState calls into one patch that the server applies to the same state', () => {
    const acknowledged: JsonObject = { seat: 1, hand: { cards: 3, ready: false }, tags: ['a'] };
    let wanted = acknowledged;
    const calls: JsonObject[] = [
      { hand: { ready: true } },
      { hand: null },
      { hand: { ready: true } }, // re-created: the old `cards` must not come back
      { seat: 2 },
      { tags: ['a', 'b'] },
      { seat: 1 },
    ];
    calls.forEach((patch) => (wanted = applyMergePatch(wanted, patch)));
    const patch = diffMergePatch(acknowledged, wanted);
    expect(patch).toEqual({ hand: { cards: null, ready: true }, tags: ['a', 'b'] });
    expect(applyMergePatch(acknowledged, patch as JsonObject)).toEqual(wanted);
  });

  it('says nothing for equal states and asks for the whole state when a patch cannot say it', () => {
    expect(diffMergePatch({ a: { b: [1] }, c: 1 }, { c: 1, a: { b: [1] } })).toBeUndefined();
    expect(diffMergePatch({}, { a: null })).toBe('replace');
    expect(diffMergePatch({ a: 1 }, { a: { b: null } })).toBe('replace');
    expect(diffMergePatch({}, { a: [null] })).toEqual({ a: [null] });
  });

  it('compares JSON values regardless of key order', () => {
    expect(jsonEqual({ a: 1, b: { c: [1, { d: 2 }] } }, { b: { c: [1, { d: 2 }] }, a: 1 })).toBe(
      true,
    );
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined } as unknown as JsonObject)).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
  });
});
