// Engine.IO 4 / Socket.IO 5 framing over a websocket (EIO=4&transport=websocket): one
// Engine.IO packet per websocket frame, a Socket.IO packet inside each MESSAGE packet.
// Only the default namespace "/" and text (JSON) packets: the server sends nothing else.

/** Engine.IO packet types: the first character of a frame. */
const EIO_OPEN = '0';
const EIO_CLOSE = '1';
const EIO_PING = '2';
const EIO_MESSAGE = '4';

/** Socket.IO packet types: the character after Engine.IO's MESSAGE. */
const SIO_CONNECT = '0';
const SIO_DISCONNECT = '1';
const SIO_EVENT = '2';
const SIO_ACK = '3';
const SIO_CONNECT_ERROR = '4';

/** The client's answer to the server's ping (the server pings, the client pongs). */
export const PONG_FRAME = '3';
/** Leaves the default namespace before the client closes the websocket. */
export const DISCONNECT_FRAME = '41';

/**
 * @typedef {{ sid: string, pingInterval: number, pingTimeout: number, maxPayload: number }} Handshake
 * @typedef {{ kind: 'open', handshake: Handshake }
 *   | { kind: 'ping' }
 *   | { kind: 'close' }
 *   | { kind: 'connect', sid: string }
 *   | { kind: 'connect_error', code: string, message: string }
 *   | { kind: 'disconnect' }
 *   | { kind: 'event', name: string, args: unknown[] }
 *   | { kind: 'ack', ackId: number, args: unknown[] }
 *   | { kind: 'other', frame: string }} Packet
 */

/** The Socket.IO CONNECT to "/" carrying the handshake `auth` object (e.g. `{ token }`). */
export const connectFrame = (/** @type {object} */ auth) => `40${JSON.stringify(auth)}`;

/**
 * An EVENT `42[name, payload]`; with an ack id, `42<id>[name, payload]` asks for an ACK
 * `43<id>[answer]`.
 * @param {string} name
 * @param {unknown} payload
 * @param {number} [ackId]
 */
export const eventFrame = (name, payload, ackId) =>
  `42${ackId === undefined ? '' : ackId}${JSON.stringify([name, payload])}`;

/**
 * Reads one text frame. Frames this client has no use for (noop, upgrade, binary
 * attachments) come back as `other`.
 * @param {string} frame
 * @returns {Packet}
 */
export function decodeFrame(frame) {
  switch (frame[0]) {
    case EIO_OPEN:
      return { kind: 'open', handshake: JSON.parse(frame.slice(1)) };
    case EIO_PING:
      return { kind: 'ping' };
    case EIO_CLOSE:
      return { kind: 'close' };
    case EIO_MESSAGE:
      return decodeSocketIo(frame);
    default:
      return { kind: 'other', frame };
  }
}

/** @param {string} frame @returns {Packet} */
function decodeSocketIo(frame) {
  const body = frame.slice(2);
  switch (frame[1]) {
    case SIO_CONNECT:
      return { kind: 'connect', sid: JSON.parse(body).sid };
    case SIO_CONNECT_ERROR:
      return connectError(JSON.parse(body));
    case SIO_DISCONNECT:
      return { kind: 'disconnect' };
    case SIO_EVENT:
      return eventPacket(body);
    case SIO_ACK:
      return ackPacket(body, frame);
    default:
      return { kind: 'other', frame };
  }
}

/**
 * The server refuses a handshake with `{ message: code, data: { code, message } }`.
 * @param {{ message?: string, data?: { code?: string, message?: string } }} error
 * @returns {Packet}
 */
function connectError(error) {
  const code = error.data?.code ?? error.message ?? 'UNKNOWN';
  return { kind: 'connect_error', code, message: error.data?.message ?? code };
}

/** @param {string} body `[name, ...args]`, or `<id>[...]` for an event that wants an ack */
function eventPacket(body) {
  const [name, ...args] = /** @type {[string, ...unknown[]]} */ (JSON.parse(withoutId(body)));
  return /** @type {Packet} */ ({ kind: 'event', name, args });
}

/** @param {string} body `<id>[...args]` @param {string} frame */
function ackPacket(body, frame) {
  const match = /^(\d+)\[/.exec(body);
  if (!match) {
    return /** @type {Packet} */ ({ kind: 'other', frame });
  }
  const args = /** @type {unknown[]} */ (JSON.parse(body.slice(match[1].length)));
  return /** @type {Packet} */ ({ kind: 'ack', ackId: Number(match[1]), args });
}

/** @param {string} body */
const withoutId = (body) => body.slice(body.indexOf('['));
