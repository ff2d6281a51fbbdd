// The entry point (`node dist/main.js`, `npm start`). It loads nothing of the server before
// turning on Node's compile cache: most of start-up is reading and compiling the modules of
// Nest, Express and Socket.IO (issue 8, "Start fast").
import { enableCompileCache } from './compile-cache.js';
import { processRole, rawSettings } from './workers/process-role.js';

enableCompileCache();
// WORKERS=n: this process is the primary of n workers (src/workers), which run the server.
if (processRole(rawSettings()) === 'primary') {
  await import('./workers/primary.js');
} else {
  await import('./server.js');
}
