// Shared JSDoc types: what the per-user logic is given, in k6 (k6-runtime.js) and in Node
// (the tests' shim). Nothing here runs.

/**
 * The part of a websocket this library uses; k6's `k6/websockets` WebSocket and the `ws`
 * package's WebSocket both have it. Message events carry text frames as strings.
 * @typedef {{
 *   send(data: string): void,
 *   close(): void,
 *   addEventListener(type: any, listener: (event: any) => void): void,
 * }} WebSocketLike
 */

/**
 * Time as the logic sees it: epoch milliseconds and timers (k6/timers in k6, globals in Node).
 * @typedef {{
 *   now(): number,
 *   setTimeout(callback: () => void, ms: number): any,
 *   clearTimeout(handle: any): void,
 * }} Clock
 */

/**
 * Where results go: k6 checks and custom metrics in k6, plain arrays in Node.
 * @typedef {{
 *   check(name: string, passed: boolean): boolean,
 *   time(metric: string, ms: number): void,
 *   count(metric: string, n?: number): void,
 * }} Recorder
 */

/**
 * Everything a simulated user needs from its environment.
 * @typedef {{
 *   openSocket(url: string): WebSocketLike,
 *   clock: Clock,
 *   record: Recorder,
 *   tokenFor(userId: string): string,
 * }} Runtime
 */

/**
 * The acknowledgement envelope of every request (PROTOCOL.md "Requests and acknowledgements").
 * @typedef {{ ok: true, data: any }
 *   | { ok: false, error: { code: string, message: string, details?: unknown } }} Ack
 */

export {};
