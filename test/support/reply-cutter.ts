import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of a real redis-server that can lose one reply on the way back:
 * armed with a marker, it forwards the client's request holding that marker to Redis (so
 * the command runs), then drops the reply and closes both sides. This is the in-doubt
 * case (ran, reply lost) that a CLIENT KILL can only hit by chance.
 */
export class ReplyCutter {
  private markers: Buffer[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private cuts = 0;
  private listening = 0;

  private constructor(private readonly redisPort: number) {
    this.server = createServer((client) => this.relay(client));
  }

  static async start(redisPort: number): Promise<ReplyCutter> {
    const cutter = new ReplyCutter(redisPort);
    await new Promise<void>((resolve) => cutter.server.listen(0, '127.0.0.1', resolve));
    const address = cutter.server.address();
    cutter.listening = typeof address === 'object' && address ? address.port : 0;
    return cutter;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.listening}`;
  }

  /** The next request containing any of `markers` runs on Redis; its connection dies unanswered. */
  armFor(...markers: string[]): void {
    this.markers = markers.map((marker) => Buffer.from(marker));
  }

  /** Replies cut so far. */
  get cut(): number {
    return this.cuts;
  }

  async stop(): Promise<void> {
    this.sockets.forEach((socket) => socket.destroy());
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    const upstream = connect(this.redisPort, '127.0.0.1');
    [client, upstream].forEach((socket) => {
      this.sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    });
    let doomed = false;
    client.on('data', (chunk: Buffer) => {
      if (this.markers.some((marker) => chunk.includes(marker))) {
        this.markers = [];
        doomed = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (doomed) {
        this.cuts++;
        client.destroy();
        return;
      }
      client.write(chunk);
    });
  }
}
