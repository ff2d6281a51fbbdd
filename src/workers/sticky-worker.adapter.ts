import { setupWorker } from '@socket.io/sticky';
import type { ServerOptions } from 'socket.io';
import { RedisIoAdapter } from '../socket/redis-io.adapter.js';
import type { AppServer } from '../socket/socket-types.js';

/**
 * The app's Socket.IO server, fed by the primary instead of a port of its own: the
 * primary hands over each connection (or, for a request in several chunks, its bytes) of
 * the shared port, and routes every request of an Engine.IO session to the worker that
 * holds it (long-polling needs that), while this worker reports its sessions back.
 * The server is attached to the app's HTTP server, which never listens here, so the
 * HTTP routes (health, metrics) are served to what the primary hands over as well.
 */
export class StickyWorkerAdapter extends RedisIoAdapter {
  private attached = false;

  override createIOServer(port: number, options?: Partial<ServerOptions>): AppServer {
    const server = super.createIOServer(port, options);
    // One server per process; sticky's IPC listener must never be installed twice.
    if (!this.attached) {
      this.attached = true;
      setupWorker(server);
    }
    return server;
  }
}
