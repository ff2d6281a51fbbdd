// Preloaded into a server process (NODE_OPTIONS=--import <this file>) by tests that need a
// real uncaught exception in it: each SIGUSR2 throws from a signal listener, outside any
// promise, as a bug in a dependency's callback would. The server's code is not involved.
process.on('SIGUSR2', () => {
  throw new Error('fault injected by the test (SIGUSR2)');
});
