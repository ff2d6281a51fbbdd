import { DISCONNECT_FRAME, PONG_FRAME, connectFrame, decodeFrame, eventFrame } from './frames.js';

/**
 * @typedef {import('./types.js').WebSocketLike} WebSocketLike
 * @typedef {import('./types.js').Clock} Clock
 * @typedef {import('./frames.js').Handshake} Handshake
 * @typedef {import('./frames.js').Packet} Packet
 * @typedef {{ resolve(args: unknown[]): void, reject(error: Error): void, timer: any }} Pending
 */

/** A refused handshake: `code` is the server's error code (UNAUTHENTICATED, RATE_LIMITED …). */
export class ConnectError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.name = 'ConnectError';
    this.code = code;
  }
}

/**
 * A Socket.IO client on the default namespace over a websocket it is handed, so one code
 * path runs on k6's WebSocket and on Node's `ws`. It answers the server's pings, matches
 * acks to requests by id, and rejects whatever is pending when the websocket closes.
 */
export class SocketIoClient {
  /**
   * @param {WebSocketLike} ws a websocket to `/socket.io/?EIO=4&transport=websocket`, just created
   * @param {Clock} clock
   * @param {{ timeoutMs?: number }} [options] how long connect and each request may take
   */
  constructor(ws, clock, options = {}) {
    this.ws = ws;
    this.clock = clock;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    /** @type {Handshake | undefined} the Engine.IO open packet */
    this.handshake = undefined;
    this.sid = '';
    this.pingsAnswered = 0;
    this.nextAckId = 0;
    /** @type {string | undefined} why the socket closed, once it has */
    this.closedBecause = undefined;
    /** @type {Map<number, Pending>} */
    this.pending = new Map();
    /** @type {Map<string, ((payload: any) => void)[]>} */
    this.handlers = new Map();
    /** @type {(() => void)[]} */
    this.pingListeners = [];
    /** @type {{ auth: object, settle(error?: Error): void } | undefined} connect() in progress */
    this.connecting = undefined;
    // Resolves on close, or on an error (after which no close event may follow in k6).
    this.closed = new Promise((resolve) => {
      ws.addEventListener('close', () => resolve(undefined));
      ws.addEventListener('error', () => resolve(undefined));
    });
    ws.addEventListener('message', (event) => this.onFrame(event.data));
    ws.addEventListener('close', () => this.fail('the websocket closed'));
    ws.addEventListener('error', (event) => this.fail(`websocket error: ${describe(event)}`));
  }

  /**
   * Waits for the Engine.IO open packet, sends CONNECT with `auth` and resolves with the
   * session id; a refusal rejects with a ConnectError carrying the server's code.
   * @param {object} auth the handshake auth object, `{ token }` here
   * @returns {Promise<string>}
   */
  connect(auth) {
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(
        () => settle(new Error(`no CONNECT answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      const settle = (/** @type {Error | undefined} */ error) => {
        this.clock.clearTimeout(timer);
        this.connecting = undefined;
        return error ? reject(error) : resolve(this.sid);
      };
      this.connecting = { auth, settle };
      if (this.closedBecause) {
        settle(new Error(this.closedBecause));
      } else if (this.handshake) {
        this.ws.send(connectFrame(auth));
      }
    });
  }

  /**
   * Sends `event` with an ack id; resolves with the server's answer (the ack envelope) and
   * the round trip in ms. Rejects on timeout or when the socket closes first.
   * @param {string} event
   * @param {unknown} payload
   * @returns {Promise<{ ack: import('./types.js').Ack, ms: number }>}
   */
  request(event, payload) {
    if (this.closedBecause) {
      return Promise.reject(new Error(this.closedBecause));
    }
    const ackId = this.nextAckId++;
    const sentAt = this.clock.now();
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(ackId);
        reject(new Error(`${event}: no ack within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(ackId, {
        resolve: (args) =>
          resolve({ ack: /** @type {any} */ (args[0]), ms: this.clock.now() - sentAt }),
        reject,
        timer,
      });
      this.ws.send(eventFrame(event, payload, ackId));
    });
  }

  /** Sends `event` without asking for an ack. @param {string} event @param {unknown} payload */
  emit(event, payload) {
    this.ws.send(eventFrame(event, payload));
  }

  /** Calls `handler` with the payload of every `event` the server pushes. */
  on(/** @type {string} */ event, /** @type {(payload: any) => void} */ handler) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
  }

  /** Calls `listener` after each ping the client has answered. */
  onPing(/** @type {() => void} */ listener) {
    this.pingListeners.push(listener);
  }

  /** Leaves the namespace, closes the websocket, and resolves once it is closed. */
  close() {
    if (!this.closedBecause) {
      if (this.sid) {
        this.ws.send(DISCONNECT_FRAME);
      }
      this.fail('closed by the client');
      this.ws.close();
    }
    return this.closed;
  }

  /** @param {unknown} data */
  onFrame(data) {
    if (typeof data !== 'string') {
      return; // binary attachments: this protocol sends none
    }
    const packet = decodeFrame(data);
    if (packet.kind === 'ping') {
      this.ws.send(PONG_FRAME);
      this.pingsAnswered++;
      this.pingListeners.forEach((listener) => listener());
    } else if (packet.kind === 'event') {
      (this.handlers.get(packet.name) ?? []).forEach((handler) => handler(packet.args[0]));
    } else if (packet.kind === 'ack') {
      this.settleAck(packet.ackId, packet.args);
    } else {
      this.sessionPacket(packet);
    }
  }

  /** Open, CONNECT answers, disconnects: the packets that change the session. @param {Packet} packet */
  sessionPacket(packet) {
    if (packet.kind === 'open') {
      this.handshake = packet.handshake;
      if (this.connecting) {
        this.ws.send(connectFrame(this.connecting.auth));
      }
    } else if (packet.kind === 'connect') {
      this.sid = packet.sid;
      this.connecting?.settle();
    } else if (packet.kind === 'connect_error') {
      this.connecting?.settle(new ConnectError(packet.code, packet.message));
    } else if (packet.kind === 'disconnect' || packet.kind === 'close') {
      this.fail(`the server ended the session (${packet.kind} packet)`);
    }
  }

  /** @param {number} ackId @param {unknown[]} args */
  settleAck(ackId, args) {
    const pending = this.pending.get(ackId);
    if (pending) {
      this.pending.delete(ackId);
      this.clock.clearTimeout(pending.timer);
      pending.resolve(args);
    }
  }

  /** Marks the socket closed and rejects everything still waiting. @param {string} reason */
  fail(reason) {
    this.closedBecause = this.closedBecause ?? reason;
    this.connecting?.settle(new Error(reason));
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const { reject, timer } of waiting) {
      this.clock.clearTimeout(timer);
      reject(new Error(`${reason} before the ack came`));
    }
  }
}

/** k6 error events carry `error`, `ws`'s carry `message`. @param {any} event */
const describe = (event) => String(event?.error ?? event?.message ?? 'unknown');
