import { MemoryMetadataEngine } from '../../src/engine/memory/memory-metadata.engine.js';
import { describeMetadataEngineContract } from './metadata-engine.contract.js';
import { describeMetadataHardening } from './metadata-hardening.contract.js';

function memoryHarness() {
  let now = 1_700_000_000_000;
  const engine = new MemoryMetadataEngine(() => now);
  return Promise.resolve({
    engine,
    advance: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
    // Its channels are private: the count of stored channels is what "stores nothing" means.
    storedEntries: () =>
      Promise.resolve((engine as unknown as { channels: Map<string, unknown> }).channels.size),
    cleanup: () => Promise.resolve(),
  });
}

describeMetadataEngineContract('memory', memoryHarness);
describeMetadataHardening('memory', memoryHarness);
