import WebSocket from 'ws';
import type {
  WxConnectSocketOptions,
  WxFailResult,
  WxLifecycleApi,
  WxSocketApi,
  WxSocketTask,
} from '@avalon-realtime/client/wechat';

/** What WeChat puts in Referer (docs: fixed, not settable); 0 = a development version. */
const referer = (appId: string) => `https://servicewechat.com/${appId}/0/page-frame.html`;

export interface FakeWxOptions {
  appId?: string;
  /**
   * The Origin of the upgrade request: none by default. WeChat's docs say nothing about it;
   * iOS mini-games are reported to send `weapp://wechat-game-runtime`.
   */
  origin?: string;
}

type Listener<T> = (result: T) => void;

/**
 * The part of WeChat's `wx` the SDK uses, backed by real sockets: `connectSocket` opens a
 * real `ws` WebSocket and returns a SocketTask whose callbacks are shaped like WeChat's
 * (`onMessage({ data })` with ArrayBuffer for binary frames, `onClose({ code, reason })`,
 * `onError({ errMsg })`, `send`/`close` taking one object). `hide()` / `show()` play the
 * app going to the background and back: the onHide/onShow listeners run, and while hidden
 * the runtime is suspended: no socket event is delivered, nothing is read from the network
 * (so pings go unanswered and the server sees the transport lost), closes wait, and
 * network calls fail with "interrupted" as WeChat's do.
 */
export class FakeWx implements WxSocketApi, WxLifecycleApi {
  private readonly hideListeners = new Set<Listener<unknown>>();
  private readonly showListeners = new Set<Listener<unknown>>();
  private readonly tasks = new Set<FakeSocketTask>();
  private isHidden = false;
  /** Every task ever opened, in order (tests inspect them). */
  readonly opened: FakeSocketTask[] = [];

  constructor(private readonly options: FakeWxOptions = {}) {}

  get hidden(): boolean {
    return this.isHidden;
  }

  /** Registered onHide + onShow listeners (0 after unbinding). */
  get lifecycleListeners(): number {
    return this.hideListeners.size + this.showListeners.size;
  }

  connectSocket(options: WxConnectSocketOptions): WxSocketTask {
    const task = new FakeSocketTask(this, options, {
      // WeChat does not let an app set Referer; it sends its own.
      ...Object.fromEntries(
        Object.entries(options.header ?? {}).filter(([name]) => name.toLowerCase() !== 'referer'),
      ),
      Referer: referer(this.options.appId ?? 'wx0123456789abcdef'),
      ...(this.options.origin ? { Origin: this.options.origin } : {}),
    });
    this.tasks.add(task);
    this.opened.push(task);
    return task;
  }

  onHide(listener: Listener<unknown>): void {
    this.hideListeners.add(listener);
  }

  offHide(listener: Listener<unknown>): void {
    this.hideListeners.delete(listener);
  }

  onShow(listener: Listener<unknown>): void {
    this.showListeners.add(listener);
  }

  offShow(listener: Listener<unknown>): void {
    this.showListeners.delete(listener);
  }

  /** The game goes to the background: onHide listeners run, then the runtime is suspended. */
  hide(): void {
    if (this.isHidden) {
      return;
    }
    this.hideListeners.forEach((listener) => listener(undefined));
    this.isHidden = true;
    this.tasks.forEach((task) => task.suspend());
  }

  /**
   * Back in the foreground: the runtime resumes (what the network did meanwhile arrives: a
   * task the server closed reports onClose), then onShow listeners run.
   */
  show(): void {
    if (!this.isHidden) {
      return;
    }
    this.isHidden = false;
    this.tasks.forEach((task) => task.resume());
    this.showListeners.forEach((listener) => listener({ scene: 1001, query: {} }));
  }

  /** Test cleanup: ends every task's socket at once. */
  destroy(): void {
    this.tasks.forEach((task) => task.terminate());
  }

  forget(task: FakeSocketTask): void {
    this.tasks.delete(task);
  }
}

/** A SocketTask over a real `ws` WebSocket. */
export class FakeSocketTask implements WxSocketTask {
  private readonly ws?: WebSocket;
  private readonly openListeners: Listener<unknown>[] = [];
  private readonly messageListeners: Listener<{ data: string | ArrayBuffer }>[] = [];
  private readonly closeListeners: Listener<{ code: number; reason: string }>[] = [];
  private readonly errorListeners: Listener<{ errMsg: string }>[] = [];
  /** Callbacks held while the runtime is suspended. */
  private held: (() => void)[] = [];
  private pendingClose?: { code?: number; reason?: string };
  /** Frames the app sent, as the network got them (tests assert on binary framing). */
  readonly sent: (string | Buffer)[] = [];
  readonly headers: Readonly<Record<string, string>>;
  readonly url: string;

  constructor(
    private readonly wx: FakeWx,
    options: WxConnectSocketOptions,
    headers: Record<string, string>,
  ) {
    this.url = options.url;
    this.headers = headers;
    if (wx.hidden) {
      // Network calls in the background fail until the game is shown again.
      setImmediate(() => options.fail?.({ errMsg: 'connectSocket:fail interrupted' }));
      wx.forget(this);
      return;
    }
    const ws = new WebSocket(options.url, options.protocols ?? [], {
      headers,
      // WeChat's default; `ws` would offer permessage-deflate otherwise.
      perMessageDeflate: options.perMessageDeflate ?? false,
      ...(options.timeout !== undefined ? { handshakeTimeout: options.timeout } : {}),
    });
    this.ws = ws;
    ws.on('open', () => {
      if (wx.hidden) {
        ws.pause();
      }
      this.deliver(() => this.openListeners.forEach((listener) => listener({ header: {} })));
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // An ArrayBuffer of the app's own realm, as WeChat hands it over.
      const payload = isBinary ? new Uint8Array(data).buffer : data.toString();
      this.deliver(() => this.messageListeners.forEach((listener) => listener({ data: payload })));
    });
    ws.on('error', (error: Error) => {
      this.deliver(() =>
        this.errorListeners.forEach((listener) => listener({ errMsg: error.message })),
      );
    });
    ws.on('close', (code: number, reason: Buffer) => {
      wx.forget(this);
      this.deliver(() =>
        this.closeListeners.forEach((listener) => listener({ code, reason: reason.toString() })),
      );
    });
  }

  get readyState(): number {
    return this.ws?.readyState ?? WebSocket.CLOSED;
  }

  send(options: {
    data: string | ArrayBuffer;
    success?: (result: unknown) => void;
    fail?: (result: WxFailResult) => void;
  }): void {
    const { data } = options;
    const isArrayBuffer = Object.prototype.toString.call(data) === '[object ArrayBuffer]';
    const failure =
      typeof data !== 'string' && !isArrayBuffer
        ? 'sendSocketMessage:fail parameter error: data must be a string or an ArrayBuffer'
        : this.wx.hidden
          ? 'sendSocketMessage:fail interrupted'
          : this.ws?.readyState !== WebSocket.OPEN
            ? 'sendSocketMessage:fail WebSocket is not connected'
            : undefined;
    if (failure) {
      setImmediate(() => options.fail?.({ errMsg: failure }));
      return;
    }
    const frame = typeof data === 'string' ? data : Buffer.from(new Uint8Array(data));
    this.sent.push(frame);
    this.ws?.send(frame, (error) =>
      error ? options.fail?.({ errMsg: error.message }) : options.success?.({}),
    );
  }

  close(
    options: {
      code?: number;
      reason?: string;
      success?: (result: unknown) => void;
      fail?: (result: WxFailResult) => void;
    } = {},
  ): void {
    if (this.wx.hidden) {
      this.pendingClose = options; // the suspended runtime closes it once shown
      return;
    }
    this.closeNow(options);
    setImmediate(() => options.success?.({}));
  }

  onOpen(listener: Listener<unknown>): void {
    this.openListeners.push(listener);
  }

  onMessage(listener: Listener<{ data: string | ArrayBuffer }>): void {
    this.messageListeners.push(listener);
  }

  onClose(listener: Listener<{ code: number; reason: string }>): void {
    this.closeListeners.push(listener);
  }

  onError(listener: Listener<{ errMsg: string }>): void {
    this.errorListeners.push(listener);
  }

  suspend(): void {
    this.ws?.pause();
  }

  resume(): void {
    this.held.splice(0).forEach((callback) => callback());
    this.ws?.resume();
    if (this.pendingClose) {
      this.closeNow(this.pendingClose);
      this.pendingClose = undefined;
    }
  }

  terminate(): void {
    this.ws?.terminate();
  }

  private closeNow(options: { code?: number; reason?: string }): void {
    if (this.ws?.readyState === WebSocket.CONNECTING) {
      this.ws.terminate();
    } else {
      this.ws?.close(options.code ?? 1000, options.reason ?? '');
    }
  }

  private deliver(callback: () => void): void {
    if (this.wx.hidden) {
      this.held.push(callback);
    } else {
      callback();
    }
  }
}
