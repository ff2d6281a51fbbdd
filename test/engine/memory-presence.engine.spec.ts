import { MemoryPresenceEngine } from '../../src/engine/memory/memory-presence.engine.js';
import { describePresenceEngineContract } from './presence-engine.contract.js';

describePresenceEngineContract('memory', () => {
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
});
