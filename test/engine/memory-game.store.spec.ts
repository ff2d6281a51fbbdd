import { MemoryGameStore } from '../../src/engine/memory/memory-game.store.js';
import { describeGameStoreContract } from './game-store.contract.js';

describeGameStoreContract('memory', () => {
  let now = 1_700_000_000_000;
  const store = new MemoryGameStore(() => now);
  return Promise.resolve({
    store,
    other: store, // one process: the other writer shares the store
    advance: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
    cleanup: () => Promise.resolve(),
  });
});
