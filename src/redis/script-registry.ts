import { readFileSync } from 'node:fs';
import { masters, type RedisClient } from './redis-client.js';

/** One Lua script, defined as an ioredis command named `name`. */
export interface ScriptDefinition {
  name: string;
  /** The `.lua` file, resolved next to the module that lists it. */
  file: URL;
  /** How many leading arguments are KEYS (all of one hash slot). */
  numberOfKeys: number;
}

/**
 * Defines every script as a command on one client and loads it at start. Calls go by
 * SHA (EVALSHA); ioredis resends with EVAL on NOSCRIPT, e.g. after SCRIPT FLUSH or a Redis
 * restart, which is why scripts are never called inside `multi()` (no retry there).
 */
export class ScriptRegistry {
  private readonly sources: ReadonlyMap<string, string>;

  constructor(
    private readonly redis: RedisClient,
    definitions: readonly ScriptDefinition[],
  ) {
    const sources = new Map<string, string>();
    for (const { name, file, numberOfKeys } of definitions) {
      const lua = withIncludes(file);
      redis.defineCommand(name, { numberOfKeys, lua });
      sources.set(name, lua);
    }
    this.sources = sources;
  }

  /**
   * SCRIPT LOAD of every script on every master (a cluster's too); the server refuses one
   * that does not compile. A cluster whose masters are not known yet is not ready.
   */
  async load(): Promise<void> {
    const nodes = masters(this.redis);
    if (nodes.length === 0) {
      throw new Error('no Redis master known yet');
    }
    const lua = [...this.sources.values()];
    await Promise.all(nodes.flatMap((node) => lua.map((source) => node.script('LOAD', source))));
  }

  /** The script names, in definition order. */
  get names(): string[] {
    return [...this.sources.keys()];
  }
}

/** `-- #include <file>.lua` on a line of its own: that file's text, from the same folder. */
const INCLUDE = /^-- #include ([\w.-]+\.lua)$/gm;

/**
 * A script's source with its includes spelled out: helpers several scripts share live in
 * one file, and Redis still gets one self-contained script (one SHA) per command.
 */
export function withIncludes(file: URL): string {
  return readFileSync(file, 'utf8').replace(INCLUDE, (_, name: string) =>
    readFileSync(new URL(name, file), 'utf8').trimEnd(),
  );
}
