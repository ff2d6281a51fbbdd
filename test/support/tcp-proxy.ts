import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of a server process, for what only a network can do to a client:
 * `upstreamPort` may be changed (new connections go to another process), and `cut()`
 * resets every connection through it and new ones until `restore()`, as when a phone
 * loses its network (both ends see their sockets reset). Playwright's
 * `context.setOffline(true)` is no such cut: Chromium keeps an open WebSocket open and only
 * holds its frames until it is back online (microsoft/playwright#4910).
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  private down = false;

  private constructor(public upstreamPort: number) {
    this.server = createServer((downstream) => this.relay(downstream));
  }

  static async start(upstreamPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(upstreamPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  cut(): void {
    this.down = true;
    this.open.forEach((socket) => socket.resetAndDestroy());
  }

  restore(): void {
    this.down = false;
  }

  async stop(): Promise<void> {
    this.open.forEach((socket) => socket.destroy());
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(downstream: Socket): void {
    if (this.down) {
      downstream.resetAndDestroy();
      return;
    }
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    for (const socket of [downstream, upstream]) {
      this.open.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        this.open.delete(socket);
        downstream.destroy();
        upstream.destroy();
      });
    }
    downstream.pipe(upstream).pipe(downstream);
  }
}
