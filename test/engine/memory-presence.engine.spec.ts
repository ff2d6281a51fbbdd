import { MemoryPresenceEngine } from '../../src/engine/memory/memory-presence.engine.js';
import {
  beat,
  describePresenceEngineContract,
  joinCmd,
  LONG_TTL_MS,
  type EngineHarness,
} from './presence-engine.contract.js';
import { describePresenceIdentifiers } from './presence-identifiers.contract.js';

function memoryHarness(): Promise<EngineHarness> {
  let now = 1_700_000_000_000;
  const engine = new MemoryPresenceEngine(() => now);
  return Promise.resolve({
    engine,
    advance: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
    cleanup: () => Promise.resolve(),
  });
}

describePresenceEngineContract('memory', memoryHarness);
describePresenceIdentifiers('memory', memoryHarness);

describe('memory presence engine: what it returns is a snapshot', () => {
  it('a join or heartbeat result keeps its values after later heartbeats and changes', async () => {
    const harness = await memoryHarness();
    const engine = harness.engine;
    const advance = (ms: number) => harness.advance(ms);
    const joined = await engine.join(joinCmd({ state: { a: 1 }, ttlMs: LONG_TTL_MS }));
    await advance(1000);
    const first = await engine.heartbeat(beat(joined.epoch, [], { ttlMs: LONG_TTL_MS }));
    await advance(1000);
    await engine.heartbeat(beat(joined.epoch, [{ state: { b: 2 } }], { ttlMs: LONG_TTL_MS }));

    expect(joined.member).toMatchObject({ state: { a: 1 }, lastSeenAt: joined.member.joinedAt });
    expect(first.member).toMatchObject({ state: { a: 1 } });
    expect(first.member.lastSeenAt).toBe(joined.member.joinedAt + 1000);
    expect((await engine.list('r1'))[0]).toMatchObject({
      state: { b: 2 },
      lastSeenAt: joined.member.joinedAt + 2000,
    });
  });
});
