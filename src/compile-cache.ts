import * as nodeModule from 'node:module';

/** What Node offers: `enable` from 22.1, `flush` from 23 (production runs Node 24). */
interface CompileCacheApi {
  enableCompileCache?: () => unknown;
  flushCompileCache?: () => void;
}

const api = nodeModule as CompileCacheApi;

/**
 * Node's on-disk compile cache (in the OS temp folder): a later start reads the compiled code
 * of Nest, Express and Socket.IO instead of compiling ~1,600 files again. Must run before
 * they are imported. Older Nodes have no cache and compile every start.
 */
export function enableCompileCache(): void {
  api.enableCompileCache?.();
}

/**
 * Writes the cache now rather than at a clean exit: a server is often stopped by a signal
 * or killed, and the next start should still find it.
 */
export function flushCompileCache(): void {
  api.flushCompileCache?.();
}
