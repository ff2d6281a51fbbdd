import type { WebSocketLike } from './transport.js';

// WeChat mini-game transport. WeChat has no global WebSocket: it opens sockets with
// `wx.connectSocket`, which returns a SocketTask with listener registration
// (onOpen/onMessage/onClose/onError) and object-argument send/close. wxWebSocket() wraps
// that in the part of the WebSocket API Engine.IO uses, so socket.io-client (and
// RealtimeClient's `WebSocket` option) runs on it unchanged. Only the subset of `wx` used
// here is typed: no dependency on WeChat's typings (which are assignable to these).

/** `fail` callbacks of wx APIs receive `{ errMsg }`. */
export interface WxFailResult {
  errMsg: string;
}

/** The SocketTask `wx.connectSocket` returns (base library ≥ 1.7.0). */
export interface WxSocketTask {
  /** `data` is a string (text frame) or an ArrayBuffer (binary frame): nothing else. */
  send(options: {
    data: string | ArrayBuffer;
    success?: (result: unknown) => void;
    fail?: (result: WxFailResult) => void;
  }): void;
  close(options: {
    code?: number;
    reason?: string;
    success?: (result: unknown) => void;
    fail?: (result: WxFailResult) => void;
  }): void;
  onOpen(listener: (result: unknown) => void): void;
  /** Binary frames arrive as ArrayBuffer, text frames as string. */
  onMessage(listener: (result: { data: string | ArrayBuffer }) => void): void;
  onClose(listener: (result: { code?: number; reason?: string }) => void): void;
  onError(listener: (result: { errMsg?: string }) => void): void;
}

/** The `wx.connectSocket` options this adapter passes (`url` must be wss:// in production). */
export interface WxConnectSocketOptions {
  url: string;
  header?: Record<string, string>;
  protocols?: string[];
  /** TCP_NODELAY (base library ≥ 2.4.0). */
  tcpNoDelay?: boolean;
  /** permessage-deflate (base library ≥ 2.8.0). */
  perMessageDeflate?: boolean;
  /** Connect timeout, ms (base library ≥ 2.10.0). */
  timeout?: number;
  success?: (result: unknown) => void;
  fail?: (result: WxFailResult) => void;
}

/** The part of `wx` wxWebSocket() uses. */
export interface WxSocketApi {
  connectSocket(options: WxConnectSocketOptions): WxSocketTask;
}

/** The part of `wx` bindWxLifecycle() uses (offHide/offShow exist from base library 2.1.3). */
export interface WxLifecycleApi {
  onHide(listener: (result?: unknown) => void): void;
  onShow(listener: (result?: unknown) => void): void;
  offHide?(listener: (result?: unknown) => void): void;
  offShow?(listener: (result?: unknown) => void): void;
}

/** Extra `wx.connectSocket` settings for every socket the constructor opens. */
export interface WxWebSocketOptions {
  /** HTTP headers of the upgrade request (WeChat does not let you set Referer). */
  header?: Record<string, string>;
  tcpNoDelay?: boolean;
  perMessageDeflate?: boolean;
  /** Connect timeout in ms; WeChat's default is 60 s (or game.json's networkTimeout). */
  timeout?: number;
}

/** The constructor wxWebSocket() returns: WebSocketLike plus the readyState constants. */
export type WxWebSocketConstructor = WebSocketLike & {
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
};

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
/** What a browser reports for a connection that ended without a close frame. */
const ABNORMAL_CLOSURE = 1006;

// Handlers get `{ type: 'open' }`, `{ type: 'message', data }`, `{ type: 'close', code,
// reason, wasClean }` and `{ type: 'error', message, errMsg }`; typed as loosely as
// WebSocketLike needs them, so assigning a DOM-typed handler works too.
type Handler<E> = ((event: E) => void) | null;

/**
 * A WebSocket-compatible constructor over `wx.connectSocket`, for
 * `new RealtimeClient({ url, token, WebSocket: wxWebSocket(wx) })` or
 * `io(url, { transports: [webSocketTransport(wxWebSocket(wx))] })`.
 *
 * Behaves like the browser's WebSocket as far as Engine.IO looks: readyState goes
 * CONNECTING → OPEN → CLOSING → CLOSED; `onopen`, `onmessage` (`{ data }`: string or
 * ArrayBuffer), `onclose` (`{ code, reason, wasClean }`, exactly once) and `onerror`
 * handler properties; `send` takes strings, ArrayBuffers and views (sent as a copy of the
 * viewed bytes); a failed connect (`connectSocket` fail) is an error then a close with
 * code 1006; a failed send (`fail`, e.g. "interrupted" in the background) is an error,
 * after which Engine.IO closes the transport and socket.io-client reconnects.
 * `binaryType` is always 'arraybuffer': WeChat delivers binary frames as ArrayBuffer.
 */
export function wxWebSocket(
  wx: WxSocketApi,
  options: WxWebSocketOptions = {},
): WxWebSocketConstructor {
  return class WxWebSocket {
    static readonly CONNECTING = CONNECTING;
    static readonly OPEN = OPEN;
    static readonly CLOSING = CLOSING;
    static readonly CLOSED = CLOSED;
    readonly CONNECTING = CONNECTING;
    readonly OPEN = OPEN;
    readonly CLOSING = CLOSING;
    readonly CLOSED = CLOSED;

    readyState: number = CONNECTING;
    readonly url: string;
    /** Not tracked: WeChat does not report what is still buffered. */
    readonly bufferedAmount = 0;
    onopen: Handler<unknown> = null;
    onmessage: Handler<{ type?: string; data: unknown }> = null;
    onclose: Handler<{ type?: string; code?: number; reason?: string; wasClean?: boolean }> = null;
    onerror: Handler<unknown> = null;
    private readonly task: WxSocketTask;

    constructor(url: string, protocols?: string | string[]) {
      this.url = url;
      const list =
        protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : protocols;
      this.task = wx.connectSocket({
        ...options,
        url,
        ...(list.length > 0 ? { protocols: list } : {}),
        // Deferred: handlers are assigned after the constructor returns.
        fail: (result) =>
          void Promise.resolve().then(() => {
            this.error(result.errMsg);
            this.finish(ABNORMAL_CLOSURE, result.errMsg);
          }),
      });
      this.task.onOpen(() => {
        if (this.readyState === CONNECTING) {
          this.readyState = OPEN;
          this.onopen?.({ type: 'open' });
        }
      });
      this.task.onMessage((result) => {
        if (this.readyState === OPEN || this.readyState === CLOSING) {
          this.onmessage?.({ type: 'message', data: result.data });
        }
      });
      this.task.onError((result) => this.error(result.errMsg ?? 'websocket error'));
      this.task.onClose((result) =>
        this.finish(result.code ?? ABNORMAL_CLOSURE, result.reason ?? ''),
      );
    }

    get binaryType(): string {
      return 'arraybuffer';
    }

    set binaryType(_type: string) {
      // WeChat delivers binary frames as ArrayBuffer whatever is asked for; Engine.IO's
      // decoder turns ArrayBuffers into whatever its platform wants.
    }

    send(data: string | ArrayBuffer | ArrayBufferView): void {
      if (this.readyState === CONNECTING) {
        throw new Error('InvalidStateError: WebSocket is still CONNECTING');
      }
      if (this.readyState !== OPEN) {
        return; // a browser discards data sent while closing or closed, too
      }
      this.task.send({
        data: toWxData(data),
        fail: (result) => this.error(result.errMsg),
      });
    }

    close(code?: number, reason?: string): void {
      if (this.readyState === CLOSING || this.readyState === CLOSED) {
        return;
      }
      this.readyState = CLOSING;
      this.task.close({
        code: code ?? 1000,
        reason: reason ?? '',
        // A task that cannot be closed is gone already; its onClose may never come.
        fail: (result) => this.finish(ABNORMAL_CLOSURE, result.errMsg),
      });
    }

    private error(errMsg: string): void {
      if (this.readyState !== CLOSED) {
        this.onerror?.({ type: 'error', message: errMsg, errMsg });
      }
    }

    private finish(code: number, reason: string): void {
      if (this.readyState === CLOSED) {
        return;
      }
      this.readyState = CLOSED;
      this.onclose?.({ type: 'close', code, reason, wasClean: code !== ABNORMAL_CLOSURE });
    }
  };
}

/**
 * WeChat sends strings and ArrayBuffers only: a view (Uint8Array, Node's Buffer) is sent as
 * a copy of the bytes it views, not of its whole (possibly pooled) buffer.
 */
function toWxData(data: string | ArrayBuffer | ArrayBufferView): string | ArrayBuffer {
  if (typeof data === 'string') {
    return data;
  }
  if (ArrayBuffer.isView(data)) {
    const bytes = new Uint8Array(data.byteLength);
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return bytes.buffer;
  }
  // Tag, not instanceof: an ArrayBuffer from another realm (iframe, vm) is one too.
  if (Object.prototype.toString.call(data) === '[object ArrayBuffer]') {
    return data;
  }
  throw new TypeError('wxWebSocket sends strings, ArrayBuffers and ArrayBufferViews only');
}

/** What bindWxLifecycle() drives: RealtimeClient has both. */
export interface PausableClient {
  pause(): void;
  resume(): void;
}

/**
 * Pauses the client when the mini-game goes to the background (`wx.onHide`: screen lock,
 * home button, chat on top) and resumes it in the foreground (`wx.onShow`). Returns the
 * function that unbinds both (with wx.offHide/offShow where the base library has them;
 * otherwise the listeners stay registered but do nothing).
 */
export function bindWxLifecycle(wx: WxLifecycleApi, client: PausableClient): () => void {
  let bound = true;
  const onHide = (): void => {
    if (bound) {
      client.pause();
    }
  };
  const onShow = (): void => {
    if (bound) {
      client.resume();
    }
  };
  wx.onHide(onHide);
  wx.onShow(onShow);
  return () => {
    if (!bound) {
      return;
    }
    bound = false;
    wx.offHide?.(onHide);
    wx.offShow?.(onShow);
  };
}
