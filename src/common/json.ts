import type { JsonObject, JsonValue } from '@avalon-realtime/client/protocol';

/** Keys that would reach an object's prototype if copied naively. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A plain object as JSON.parse makes it: not an array, Buffer, Date or other class instance. */
export const isJsonObject = (value: unknown): value is JsonObject => {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * Whether `value` is JSON data as a JSON text could spell it: null, booleans, strings,
 * finite numbers, arrays and plain objects of those. Refuses what a raw frame or a binary
 * attachment can smuggle in (`1e400` parses to Infinity; Buffers), which one engine would
 * keep as it is and the other serialize into something else. Deeper than MAX_JSON_DEPTH:
 * refused without recursing further.
 */
export function isJsonData(value: unknown, depth = 0): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return true;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value);
  }
  if (typeof value !== 'object' || depth >= MAX_JSON_DEPTH) {
    return false;
  }
  const children: unknown[] | undefined = Array.isArray(value)
    ? value
    : isJsonObject(value)
      ? Object.values(value)
      : undefined;
  return children !== undefined && children.every((child) => isJsonData(child, depth + 1));
}

/** UTF-8 bytes of the JSON serialization, the unit of every size limit. */
export const jsonBytes = (value: unknown): number =>
  Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

/** Deeper JSON than this is refused before anything recurses into it. */
export const MAX_JSON_DEPTH = 32;

/** Nesting depth of a JSON value, counting up to `limit + 1` at most. */
export function jsonDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  if (typeof value !== 'object' || value === null) {
    return 0;
  }
  if (limit < 0) {
    return 1;
  }
  let deepest = 0;
  for (const child of Object.values(value)) {
    deepest = Math.max(deepest, jsonDepth(child, limit - 1));
    if (deepest > limit) {
      break;
    }
  }
  return deepest + 1;
}

/** The first forbidden key found anywhere in the value, as a dotted path. */
export function findForbiddenKey(value: unknown, path = ''): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findForbiddenKey(value[i], `${path}[${i}]`);
      if (hit) {
        return hit;
      }
    }
  } else if (isJsonObject(value)) {
    for (const key of Object.keys(value)) {
      const here = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) {
        return here;
      }
      const hit = findForbiddenKey(value[key], here);
      if (hit) {
        return hit;
      }
    }
  }
  return undefined;
}

/**
 * RFC 7386 JSON merge patch. Returns a new value and never mutates its inputs. Callers
 * reject forbidden keys first; the guard here keeps a missed one from reaching a setter.
 */
export function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) {
    return patch;
  }
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (FORBIDDEN_KEYS.has(key)) {
      throw new TypeError(`forbidden key ${key} in merge patch`);
    }
    if (value === null) {
      delete result[key];
    } else {
      result[key] = mergePatch(result[key], value);
    }
  }
  return result;
}

/** JSON with object keys sorted, so equal values serialize equally whatever their key order. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
