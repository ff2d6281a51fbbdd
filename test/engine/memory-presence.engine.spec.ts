import { MemoryPresenceEngine } from '../../src/engine/memory/memory-presence.engine.js';
import { describePresenceEngineContract, type EngineHarness } from './presence-engine.contract.js';
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
