import { WebSocket as WebSocketTransport } from 'socket.io-client';

/** The part of the WebSocket API Engine.IO uses (what a WeChat SocketTask adapter provides). */
export type WebSocketLike = new (
  url: string,
  protocols?: string | string[],
) => {
  binaryType: string;
  readyState: number;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
};

/**
 * An Engine.IO websocket transport that opens its connection with the given constructor
 * instead of the runtime's global WebSocket (WeChat has none). Pass it as
 * `io(url, { transports: [webSocketTransport(Ctor)] })`.
 */
export function webSocketTransport(WebSocketCtor: WebSocketLike): typeof WebSocketTransport {
  return class CustomWebSocketTransport extends WebSocketTransport {
    override createSocket(uri: string, protocols: string | string[] | undefined): never {
      return new WebSocketCtor(uri, protocols) as never;
    }
  };
}
