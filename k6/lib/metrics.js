// Custom metric names: k6-runtime.js creates them, the scenario files put thresholds on them,
// the Node tests read them from their recorder.

export const METRIC = {
  /** Trend, ms: websocket created → Socket.IO CONNECT accepted. */
  connect: 'sio_connect_ms',
  /** Trend, ms: `presence:join` round trip (request → ack). */
  join: 'presence_join_ms',
  /** Trend, ms: `presence:heartbeat` round trip. */
  heartbeat: 'presence_heartbeat_ms',
  /** Trend, ms: `room:message` round trip (the sender's ack). */
  messageAck: 'room_message_ack_ms',
  /** Trend, ms: `room:message` sent → received by another member (one clock: one k6 process). */
  delivery: 'room_message_delivery_ms',
  /** Counter: `room:message` requests answered `{ ok: true }`. */
  messagesAcked: 'room_messages_acked',
  /** Counter: `room:message` pushes received from other members. */
  messagesReceived: 'room_messages_received',
  /** Counter: requests answered `{ ok: false }`, timed out, or cut by a closed socket. */
  requestFailures: 'request_failures',
};

export const TRENDS = [
  METRIC.connect,
  METRIC.join,
  METRIC.heartbeat,
  METRIC.messageAck,
  METRIC.delivery,
];
export const COUNTERS = [METRIC.messagesAcked, METRIC.messagesReceived, METRIC.requestFailures];
