import WebSocket from 'ws';

/**
 * A Socket.IO client spoken by hand over one raw websocket: what a hostile client can send
 * that socket.io-client never would (duplicate keys, `1e400`, forged attachments, a second
 * CONNECT, reserved event names, a session that never CONNECTs). Pings are answered.
 */
export class RawSocket {
  private readonly frames: (string | Buffer)[] = [];
  private readonly waiters: (() => void)[] = [];
  private nextId = 1;
  readonly closed: Promise<void>;

  private constructor(private readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const frame = isBinary ? data : data.toString();
      if (frame === '2') {
        ws.send('3');
        return;
      }
      this.frames.push(frame);
      this.waiters.splice(0).forEach((wake) => wake());
    });
    ws.on('error', () => {});
  }

  /** Opens an Engine.IO session (no Socket.IO CONNECT yet). */
  static async open(
    url: string,
    options: { query?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<RawSocket> {
    const params = new URLSearchParams({ EIO: '4', transport: 'websocket', ...options.query });
    const target = `${url.replace(/^http/, 'ws')}/socket.io/?${params.toString()}`;
    const ws = new WebSocket(target, { headers: options.headers });
    const raw = new RawSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`HTTP ${res.statusCode} instead of a websocket`)),
      );
    });
    const open = await raw.next(() => true, 0);
    if (typeof open !== 'string' || !open.startsWith('0{')) {
      throw new Error(`expected the Engine.IO open packet, got ${String(open)}`);
    }
    return raw;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends the Socket.IO CONNECT with `auth`; resolves with the server's reply frame. */
  async connect(auth: Record<string, unknown>): Promise<string> {
    const from = this.frames.length;
    this.send(`40${JSON.stringify(auth)}`);
    const isReply = (frame: string | Buffer) => typeof frame === 'string' && /^4[04]/.test(frame);
    return (await this.next(isReply, from)) as string;
  }

  /** Sends a frame as it is. */
  send(frame: string | Buffer): void {
    this.ws.send(frame);
  }

  /**
   * Sends an EVENT (or, with attachments, a BINARY_EVENT) whose JSON array is `body`
   * exactly as written, with a fresh ack id; resolves with every ack frame for that id
   * seen until `settle` resolves (so a doubled ack would show).
   */
  async request(body: string, attachments: Buffer[] = []): Promise<unknown[]> {
    const id = this.nextId++;
    const head = attachments.length > 0 ? `45${attachments.length}-${id}` : `42${id}`;
    this.send(`${head}${body}`);
    attachments.forEach((buffer) => this.send(buffer));
    const isAck = (frame: string | Buffer) =>
      typeof frame === 'string' && frame.startsWith(`43${id}[`);
    const first = await this.next(isAck, 0);
    return JSON.parse((first as string).slice(`43${id}`.length)) as unknown[];
  }

  /** Every ack frame received so far, by ack id (for exactly-once checks). */
  ackCounts(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const frame of this.frames) {
      const match = typeof frame === 'string' ? /^43(\d+)\[/.exec(frame) : null;
      if (match) {
        counts.set(Number(match[1]), (counts.get(Number(match[1])) ?? 0) + 1);
      }
    }
    return counts;
  }

  /** The first frame received (kept or still to come) that `matches`. */
  frame(matches: (frame: string | Buffer) => boolean): Promise<string | Buffer> {
    return this.next(matches, 0);
  }

  /**
   * Stops reading, as a stopped process or a frozen phone does: the TCP socket stays
   * open, the kernel buffers fill, and no close frame is ever answered.
   */
  stopReading(): void {
    this.ws.pause();
  }

  /** Drops the connection without a close handshake (cleanup of a stopped client). */
  terminate(): void {
    this.ws.terminate();
  }

  close(): Promise<void> {
    this.ws.close();
    return this.closed;
  }

  /** The first frame received from index `from` on (kept or still to come) that `matches`. */
  private async next(
    matches: (frame: string | Buffer) => boolean,
    from: number,
  ): Promise<string | Buffer> {
    let seen = from;
    for (;;) {
      for (; seen < this.frames.length; seen++) {
        if (matches(this.frames[seen])) {
          return this.frames[seen];
        }
      }
      if (this.ws.readyState !== WebSocket.OPEN) {
        throw new Error('the server closed the socket');
      }
      await Promise.race([new Promise<void>((resolve) => this.waiters.push(resolve)), this.closed]);
    }
  }
}
