import type { Result } from 'ioredis';
import type { ScriptDefinition } from '../../redis/script-registry.js';

const script = (name: string, file: string, numberOfKeys: number): ScriptDefinition => ({
  name,
  file: new URL(`./scripts/${file}`, import.meta.url),
  numberOfKeys,
});

/** The presence scripts; each file's header lists its KEYS, ARGV and reply shape. */
export const PRESENCE_SCRIPTS: readonly ScriptDefinition[] = [
  script('presenceJoin', 'presence-join.lua', 5),
  script('presenceHeartbeat', 'presence-heartbeat.lua', 5),
  script('presenceHeartbeatBatch', 'presence-heartbeat-batch.lua', 4),
  script('presenceLeave', 'presence-leave.lua', 5),
  script('presenceMarkAway', 'presence-mark-away.lua', 4),
  script('presenceList', 'presence-list.lua', 3),
  script('presenceSweep', 'presence-sweep.lua', 5),
  script('reaperLease', 'reaper-lease.lua', 1),
];

/** The lock scripts of the metadata engine (metadata writes are WATCH/MULTI, not Lua). */
export const LOCK_SCRIPTS: readonly ScriptDefinition[] = [
  script('lockAcquire', 'lock-acquire.lua', 3),
  script('lockRenew', 'lock-renew.lua', 2),
  script('lockRelease', 'lock-release.lua', 2),
  script('lockReleaseOwner', 'lock-release-owner.lua', 2),
  script('lockExpire', 'lock-expire.lua', 2),
  script('lockList', 'lock-list.lua', 1),
  script('lockIndexDrop', 'lock-index-drop.lua', 1),
];

/** The game store's scripts; its timer lease is the reaper's lease script under its own key. */
export const GAME_SCRIPTS: readonly ScriptDefinition[] = [
  script('gameWrite', 'game-write.lua', 2),
  script('gameTimerLease', 'reaper-lease.lua', 1),
];

type ScriptArg = string | number;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    presenceJoin(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    presenceHeartbeat(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    presenceHeartbeatBatch(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    presenceLeave(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    presenceMarkAway(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    presenceList(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    presenceSweep(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    reaperLease(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    lockAcquire(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    lockRenew(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    lockRelease(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    lockReleaseOwner(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    lockExpire(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    lockList(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    lockIndexDrop(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    gameWrite(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    gameTimerLease(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
  }
}

/** Lock replies are decoded with the others; re-exported for the lock code that imports it here. */
export { lockAccepted } from './replies.js';
