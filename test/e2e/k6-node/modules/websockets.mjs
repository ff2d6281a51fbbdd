// k6/websockets' WebSocket follows the browser API; `ws` has the part the scripts use.
export { WebSocket } from 'ws';
