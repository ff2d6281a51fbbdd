import { Redis } from 'ioredis';
import { sendUnpipelined } from '../../src/engine/redis/unpipelined.js';

const client = (options: { autoPipeliningIgnoredCommands?: string[] } = {}) =>
  new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableAutoPipelining: true, ...options });

describe('sendUnpipelined', () => {
  it('adds the commands to those the client already sends on their own', () => {
    const redis = client({ autoPipeliningIgnoredCommands: ['get'] });
    sendUnpipelined(redis, ['presenceHeartbeat']);
    sendUnpipelined(redis, ['presenceHeartbeat']);
    expect(redis.options.autoPipeliningIgnoredCommands).toStrictEqual(['get', 'presenceHeartbeat']);
    redis.disconnect();
  });

  it('leaves every other client auto-pipelining as before', () => {
    const [changed, other] = [client(), client()];
    sendUnpipelined(changed, ['presenceHeartbeat']);
    expect(other.options.autoPipeliningIgnoredCommands).toStrictEqual([]);
    expect(client().options.autoPipeliningIgnoredCommands).toStrictEqual([]);
    [changed, other].forEach((redis) => redis.disconnect());
  });
});
