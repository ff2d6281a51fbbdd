// Preloaded into a server under test (NODE_OPTIONS="--expose-gc --import <this file>"):
// on SIGUSR2 it prints, after a full GC, the heap in use and the own property names of the
// built-in prototypes, so a test can prove that nothing was polluted and nothing leaked.
// Test-only: production code knows nothing of it.
const prototypes = { Object, Array, Function, String, Number, Boolean, Map, Set, Promise };

process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
  const shapes = Object.fromEntries(
    Object.entries(prototypes).map(([name, ctor]) => [
      name,
      Object.getOwnPropertyNames(ctor.prototype).sort().join(','),
    ]),
  );
  const report = { heapUsed: process.memoryUsage().heapUsed, shapes };
  process.stdout.write(`SENTINEL ${JSON.stringify(report)}\n`);
});
