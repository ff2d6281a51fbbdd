// The load generator: Socket.IO v5 over Engine.IO v4 spoken by hand on one raw websocket
// per client, so that the generator costs far less than the server it measures
// (socket.io-client spends more CPU per request than the server does).
import { Buffer } from 'node:buffer';
import { createHmac } from 'node:crypto';
import WebSocket from 'ws';

export const BENCH_SECRET = 'bench-secret-0123456789abcdef';

const base64url = (text) => Buffer.from(text).toString('base64url');

/** An HS256 handshake token for `userId`, signed without a library (cheap for thousands). */
export function tokenFor(userId, secret = BENCH_SECRET) {
  const head = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const body = base64url(JSON.stringify({ sub: userId, exp }));
  const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

const CLOSED = { ok: false, error: { code: 'CLOSED' } };

/** One connected client: requests with acks, server events by name, pings answered. */
export class BenchSocket {
  #ws;
  #pending = new Map();
  #listeners = new Map();
  #nextId = 1;
  open = true;

  constructor(ws) {
    this.#ws = ws;
    ws.on('close', () => {
      this.open = false;
      this.#pending.forEach((resolve) => resolve(CLOSED));
      this.#pending.clear();
    });
  }

  /** Opens the Engine.IO session and completes the Socket.IO CONNECT with `token`. */
  static connect(url, token) {
    const target = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    const ws = new WebSocket(target, { perMessageDeflate: false });
    const socket = new BenchSocket(ws);
    return new Promise((resolve, reject) => {
      const handshake = (data) => {
        const frame = data.toString();
        if (frame.startsWith('0{')) {
          ws.send(`40${JSON.stringify({ token })}`);
        } else if (frame.startsWith('40')) {
          ws.off('message', handshake);
          ws.on('message', (next) => socket.#onFrame(next.toString()));
          resolve(socket);
        } else if (frame.startsWith('44')) {
          ws.terminate();
          reject(new Error(`connect refused: ${frame.slice(2)}`));
        }
      };
      ws.on('message', handshake);
      ws.once('error', reject);
      ws.once('close', () => reject(new Error('closed during the handshake')));
    });
  }

  /** Sends `event` with an ack id; resolves with the ack's body (`{ ok, data | error }`). */
  request(event, payload) {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      if (!this.open) {
        resolve(CLOSED);
        return;
      }
      this.#pending.set(id, resolve);
      this.#ws.send(`42${id}${JSON.stringify([event, payload])}`);
    });
  }

  /** Calls `listener(payload)` for every server event named `event`. */
  on(event, listener) {
    this.#listeners.set(event, listener);
  }

  get pending() {
    return this.#pending.size;
  }

  close() {
    this.#ws.terminate();
  }

  #onFrame(frame) {
    if (frame === '2') {
      this.#ws.send('3');
    } else if (frame.startsWith('43')) {
      const bracket = frame.indexOf('[');
      const id = Number(frame.slice(2, bracket));
      const resolve = this.#pending.get(id);
      this.#pending.delete(id);
      resolve?.(JSON.parse(frame.slice(bracket))[0]);
    } else if (frame.startsWith('42[') && this.#listeners.size > 0) {
      const [event, payload] = JSON.parse(frame.slice(2));
      this.#listeners.get(event)?.(payload);
    }
  }
}

/** Connects one socket per user id to `urlOf(i)`, `concurrency` handshakes at a time. */
export async function connectMany(userIds, urlOf, concurrency = 100) {
  const sockets = new Array(userIds.length);
  let next = 0;
  const worker = async () => {
    while (next < userIds.length) {
      const i = next++;
      sockets[i] = await BenchSocket.connect(urlOf(i), tokenFor(userIds[i]));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, userIds.length) }, worker));
  return sockets;
}

/** Runs `task(item)` for every item, `concurrency` at a time; resolves with the results. */
export async function inBatches(items, task, concurrency = 100) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
