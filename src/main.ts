// The entry point (`node dist/main.js`, `npm start`). It loads nothing of the server before
// turning on Node's compile cache: most of start-up is reading and compiling the modules of
// Nest, Express and Socket.IO (issue 8, "Start fast").
import { enableCompileCache } from './compile-cache.js';

enableCompileCache();
await import('./server.js');
