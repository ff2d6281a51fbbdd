import {
  canonicalJson,
  findForbiddenKey,
  isJsonData,
  jsonBytes,
  jsonDepth,
  mergePatch,
} from '../../src/common/json.js';
import type { JsonValue } from '@avalon-realtime/client/protocol';

describe('JSON merge patch (RFC 7386)', () => {
  // The test cases of RFC 7386, appendix A.
  const cases: [JsonValue, JsonValue, JsonValue][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];

  it.each(cases)('patches %j with %j', (target, patch, expected) => {
    expect(mergePatch(target, patch)).toEqual(expected);
  });

  it('never mutates its inputs', () => {
    const target = { a: { b: 1 } };
    const patch = { a: { c: 2 } };
    mergePatch(target, patch);
    expect(target).toEqual({ a: { b: 1 } });
    expect(patch).toEqual({ a: { c: 2 } });
  });

  it('refuses a prototype key that slipped past validation', () => {
    const patch = JSON.parse('{"__proto__":{"polluted":true}}') as JsonValue;
    expect(() => mergePatch({}, patch)).toThrow(TypeError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('JSON helpers', () => {
  it('serializes equal values equally whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });

  it('counts UTF-8 bytes of the JSON text', () => {
    expect(jsonBytes({ a: 'é' })).toBe(Buffer.byteLength('{"a":"é"}'));
  });

  it('finds prototype keys at any depth', () => {
    expect(findForbiddenKey(JSON.parse('{"a":[{"constructor":1}]}'))).toBe('a[0].constructor');
    expect(findForbiddenKey(JSON.parse('{"__proto__":1}'))).toBe('__proto__');
    expect(findForbiddenKey({ a: { b: [1, 'prototype'] } })).toBeUndefined();
  });

  it('measures nesting without walking past the limit', () => {
    let deep: JsonValue = 1;
    for (let i = 0; i < 10_000; i++) {
      deep = [deep];
    }
    expect(jsonDepth({ a: { b: [1] } })).toBe(3);
    expect(jsonDepth(deep, 32)).toBe(34);
  });

  it('accepts what a JSON text can spell, and nothing a frame or an attachment can smuggle in', () => {
    expect(isJsonData({ a: [1, -0, 1.5e300, 'x', true, null, { b: {} }] })).toBe(true);
    expect(isJsonData(JSON.parse('{"a":1e400}'))).toBe(false);
    for (const bad of [Infinity, -Infinity, NaN, Buffer.from('x'), new Uint8Array(2), undefined]) {
      expect(isJsonData({ a: [{ b: bad }] })).toBe(false);
      expect(isJsonData(bad)).toBe(false);
    }
    expect(isJsonData({ when: new Date() })).toBe(false);
  });
});
