import { AppError } from '../common/errors/app-error.js';
import { canonicalJson, jsonBytes, mergePatch } from '../common/json.js';
import { ErrorCode, Limits, type JsonObject } from '@avalon-realtime/client/protocol';
import type { StateOp } from './presence.engine.js';

/**
 * Applies state ops in order; a patch that yields a non-object leaves `{}`. A result
 * over the state limit is PAYLOAD_TOO_LARGE, before anything is stored.
 */
export function applyStateOps(state: JsonObject, ops: readonly StateOp[]): JsonObject {
  let next: JsonObject = state;
  for (const op of ops) {
    const value = 'state' in op ? op.state : mergePatch(next, op.statePatch);
    next = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
  }
  if (next !== state && jsonBytes(next) > Limits.STATE_BYTES) {
    throw new AppError(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `state would exceed ${Limits.STATE_BYTES} bytes as JSON`,
    );
  }
  return next;
}

/** Equal JSON values, whatever their key order. */
export const sameJson = (a: JsonObject, b: JsonObject): boolean =>
  a === b || canonicalJson(a) === canonicalJson(b);
