import { createHash } from 'node:crypto';
import { canonicalJson } from '../../common/json.js';
import type { JsonObject } from '@avalon-realtime/client/protocol';

/** A state with the hash of its canonical JSON, the compare-and-set token of heartbeats. */
export interface HashedState {
  state: JsonObject;
  hash: string;
}

export const hashed = (state: JsonObject): HashedState => ({
  state,
  hash: createHash('sha1').update(canonicalJson(state)).digest('base64'),
});

/** States remembered per process; beyond it the longest cached are dropped. */
const MAX_CACHED_STATES = 100_000;

type CachedState = HashedState & { epoch: number };

/**
 * roomId+connId → the state this process last saw for a session (epoch), so a heartbeat
 * can apply its ops without reading the stored state. A miss costs one extra round trip.
 */
export class StateCache {
  private readonly states = new Map<string, CachedState>();

  get(roomId: string, connId: string, epoch: number): HashedState | undefined {
    const entry = this.states.get(key(roomId, connId));
    return entry?.epoch === epoch ? entry : undefined;
  }

  /**
   * A known session's entry is updated in place, keeping its key and its place: entries
   * live for the whole session, so a replacement per heartbeat would become old-generation
   * garbage every time.
   */
  set(roomId: string, connId: string, state: JsonObject, hash: string, epoch: number): void {
    const k = key(roomId, connId);
    const held = this.states.get(k);
    if (held) {
      held.state = state;
      held.hash = hash;
      held.epoch = epoch;
      return;
    }
    this.states.set(k, { state, hash, epoch });
    if (this.states.size > MAX_CACHED_STATES) {
      // Longest cached first (Map order).
      this.states.delete(this.states.keys().next().value as string);
    }
  }

  delete(roomId: string, connId: string): void {
    this.states.delete(key(roomId, connId));
  }

  clear(): void {
    this.states.clear();
  }
}

const key = (roomId: string, connId: string): string => `${roomId} ${connId}`;
