// Fills Node's compile cache (NODE_COMPILE_CACHE) without starting a server: the image
// build runs it once, so a container's first start already finds Nest, socket.io, ioredis
// and the app compiled. Loads what a start on either engine loads; no-op before Node 22.1.
import { enableCompileCache, flushCompileCache } from './compile-cache.js';

enableCompileCache();
// Importing the app module validates the settings; this process never serves, so it runs
// as development (no secret needed) whatever the image sets.
process.env.NODE_ENV = 'development';
await import('reflect-metadata');
await Promise.all([
  import('@nestjs/core'),
  import('@nestjs/platform-express'),
  import('@nestjs/platform-socket.io'),
  import('./app.module.js'),
  import('./socket/redis-io.adapter.js'),
  import('./engine/redis-storage.js'),
  import('./redis/redis-connections.js'),
]);
flushCompileCache();
