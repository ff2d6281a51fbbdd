import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisPresenceEngine } from '../../src/engine/redis/redis-presence.engine.js';
import { presenceDoneKey, presenceKeyList } from '../../src/engine/redis/keys.js';
import { PRESENCE_SCRIPTS } from '../../src/engine/redis/scripts.js';
import { ScriptRegistry, withIncludes } from '../../src/redis/script-registry.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
afterAll(async () => {
  await redis.quit();
  await server.stop();
});

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

describe('presence scripts', () => {
  const sources = PRESENCE_SCRIPTS.map((def) => ({ ...def, lua: withIncludes(def.file) }));

  it('all compile and load through the registry', async () => {
    await redis.script('FLUSH');
    const registry = new ScriptRegistry(redis, PRESENCE_SCRIPTS);
    await registry.load();
    expect(registry.names).toStrictEqual(PRESENCE_SCRIPTS.map((def) => def.name));
    const loaded = await redis.script('EXISTS', ...sources.map(({ lua }) => sha1(lua)));
    expect(loaded).toStrictEqual(sources.map(() => 1));
  });

  it.each(sources)('$name reaches Redis self-contained, each shared helper once', ({ lua }) => {
    expect(lua).not.toMatch(/#include/);
    expect(lua.match(/local function withLastSeen\b/g)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(lua.includes('withLastSeen(')).toBe(/local function withLastSeen\(/.test(lua));
  });

  it.each(sources)(
    '$name starts with #!lua and declares exactly its KEYS',
    ({ lua, numberOfKeys }) => {
      expect(lua.startsWith('#!lua')).toBe(true);
      const used = [...lua.matchAll(/KEYS\[(\d+)\]/g)].map((match) => Number(match[1]));
      expect(Math.max(...used)).toBe(numberOfKeys);
    },
  );

  // Standalone Redis 7.0 parses the shebang (flags) but refuses undeclared keys only in
  // cluster mode, so the KEYS check above is what guards that rule here.
  it('honours the shebang: a no-writes script may not write', async () => {
    const readOnly = "#!lua flags=no-writes\nreturn redis.call('SET', KEYS[1], 'v')";
    await expect(redis.eval(readOnly, 1, uniquePrefix())).rejects.toThrow(/not allowed/i);
    await expect(redis.eval('#!lua flags=bogus\nreturn 1', 0)).rejects.toThrow(/flag/i);
  });

  it('answers a resent write from its done key instead of running it twice', async () => {
    const client = new Redis(server.url);
    new ScriptRegistry(client, PRESENCE_SCRIPTS);
    const prefix = uniquePrefix();
    const room = presenceKeyList(prefix, 'r1');
    const join = [...room, presenceDoneKey(prefix, 'r1', 'j1'), 'c1', 'u1', 'n', 5000, 5, 5];
    await client.presenceJoin(...join, '{}', 'h', '0', 5000);
    const leave = [...room, presenceDoneKey(prefix, 'r1', 'l1'), 'c1', 'u1', '', 5000];
    const first = (await client.presenceLeave(...leave)) as unknown[];
    expect(first[0]).toBe('OK');
    expect(await client.presenceLeave(...leave)).toStrictEqual(first);
    const again = [...room, presenceDoneKey(prefix, 'r1', 'l2'), 'c1', 'u1', '', 5000];
    expect(await client.presenceLeave(...again)).toStrictEqual(['ABSENT']);
    expect(await client.pttl(presenceDoneKey(prefix, 'r1', 'l1'))).toBeGreaterThan(0);
    await client.quit();
  });

  it('recovers from NOSCRIPT after SCRIPT FLUSH', async () => {
    const client = new Redis(server.url);
    const engine = new RedisPresenceEngine(client, {
      prefix: uniquePrefix(),
      commandTimeoutMs: 2000,
    });
    await engine.ready();
    const cmd = { roomId: 'r1', connId: 'c1', userId: 'u1', node: 'n', ttlMs: 5000 };
    const { epoch } = await engine.join({ ...cmd, maxMembers: 5, maxConnsPerUser: 5 });
    await redis.script('FLUSH');
    const beat = { ...cmd, epoch, ops: [{ statePatch: { a: 1 } }] };
    await expect(engine.heartbeat(beat)).resolves.toMatchObject({ changed: true });
    await redis.script('FLUSH');
    const [many] = await engine.heartbeatMany([{ ...beat, ops: [{ statePatch: { b: 2 } }] }]);
    expect(many).toMatchObject({ member: { state: { a: 1, b: 2 } } });
    await redis.script('FLUSH');
    await expect(engine.join({ ...cmd, maxMembers: 5, maxConnsPerUser: 5 })).resolves.toMatchObject(
      { resumed: true },
    );
    await engine.close();
    await client.quit();
  });
});
