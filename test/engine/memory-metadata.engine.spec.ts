import { MemoryMetadataEngine } from '../../src/engine/memory/memory-metadata.engine.js';
import { describeMetadataEngineContract } from './metadata-engine.contract.js';

describeMetadataEngineContract('memory', () => {
  let now = 1_700_000_000_000;
  const engine = new MemoryMetadataEngine(() => now);
  return Promise.resolve({
    engine,
    advance: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
    cleanup: () => Promise.resolve(),
  });
});
