import type { JsonObject, JsonValue } from './protocol/index.js';

const isObject = (value: JsonValue | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** RFC 7386: the target with the merge patch applied (a new object; the inputs are kept). */
export function applyMergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const result: JsonObject = { ...target };
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) {
      delete result[key];
    } else if (isObject(value)) {
      const current = result[key];
      result[key] = applyMergePatch(isObject(current) ? current : {}, value);
    } else {
      result[key] = value;
    }
  }
  return result;
}

/** Values compared as JSON (key order ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) {
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => jsonEqual(item, b[i]))
    );
  }
  if (!isObject(a) || !isObject(b)) {
    return false;
  }
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((k) => k in b && jsonEqual(a[k], b[k]))
  );
}

/**
 * The merge patch that turns `from` into `to`, or 'replace' when no merge patch can say it
 * (a member whose value is null: a patch's null deletes). Undefined when they are equal.
 * Diffing the last state the server acknowledged against the wanted one is what coalesces
 * any number of setState() calls into one heartbeat, also when a later patch undoes part
 * of an earlier one (two RFC 7386 patches do not always compose into one).
 */
export function diffMergePatch(
  from: JsonObject,
  to: JsonObject,
): JsonObject | 'replace' | undefined {
  const patch: JsonObject = {};
  let changed = false;
  for (const key of Object.keys(from)) {
    if (!(key in to)) {
      patch[key] = null;
      changed = true;
    }
  }
  for (const key of Object.keys(to)) {
    const before = from[key];
    const after = to[key];
    if (jsonEqual(before, after)) {
      continue;
    }
    if (after === null || hasNullMember(after)) {
      return 'replace';
    }
    if (isObject(before) && isObject(after)) {
      const inner = diffMergePatch(before, after);
      if (inner === 'replace') {
        return 'replace';
      }
      if (inner !== undefined) {
        patch[key] = inner;
        changed = true;
      }
      continue;
    }
    patch[key] = after;
    changed = true;
  }
  return changed ? patch : undefined;
}

/** An object member (at any depth outside arrays) whose value is null. */
function hasNullMember(value: JsonValue): boolean {
  return isObject(value) && Object.values(value).some((v) => v === null || hasNullMember(v));
}
