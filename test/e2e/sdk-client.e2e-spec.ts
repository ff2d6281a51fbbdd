import { RealtimeClient, RealtimeError, type Member } from '@avalon-realtime/client';
import { AppProcess, FAST_PRESENCE } from '../support/app.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { tokenFor } from '../support/tokens.js';
import { Clients, nextOf, recordOf, TcpProxy } from './sdk-helpers.js';

/** The SDK's RealtimeClient against real server processes. */
describe('SDK RealtimeClient', () => {
  /** No clock leeway (a token is refused the second its exp passes); 5 requests a second. */
  let app: AppProcess;
  /** Two processes on one Redis, the client reaching the first through a TCP proxy. */
  let redis: RedisServer;
  let first: AppProcess;
  let second: AppProcess;
  let proxy: TcpProxy;
  const clients = new Clients();

  beforeAll(async () => {
    redis = await RedisServer.start();
    const onRedis = {
      redisUrl: redis.url,
      prefix: uniquePrefix(),
      env: { SHUTDOWN_GRACE_MS: '300', SHUTDOWN_RECONNECT_JITTER_MS: '300' },
    };
    [app, first, second] = await Promise.all([
      AppProcess.start({
        env: {
          ...FAST_PRESENCE,
          AUTH_CLOCK_TOLERANCE_S: '0',
          RATE_EVENTS_PER_SECOND: '5',
          SHUTDOWN_GRACE_MS: '200',
        },
      }),
      AppProcess.start(onRedis),
      AppProcess.start(onRedis),
    ]);
    proxy = await TcpProxy.start(first.port);
  });
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    await proxy?.stop();
    await Promise.all([app, first, second].map((process) => process?.kill()));
    await redis?.stop();
  });

  it('connects with a string token and with a token provider', async () => {
    const withString = clients.make(app.url, 'anna', { token: await tokenFor('anna') });
    const statuses = recordOf<string>(withString, 'status');
    expect(withString.status).toBe('closed');
    await withString.connect();
    expect(withString.status).toBe('connected');
    expect(statuses).toEqual(['connecting', 'connected']);

    let calls = 0;
    const withProvider = clients.make(app.url, 'anna', {
      token: () => {
        calls++;
        return tokenFor('anna');
      },
    });
    await withProvider.connect();
    expect(calls).toBe(1);
    const { rooms } = await withProvider.request('presence:user', { userId: 'anna' });
    expect(rooms).toEqual([]);
  });

  it('rejects connect() with the refusal code, asking a provider once more before giving up', async () => {
    const expired = clients.make(app.url, 'bob', { token: await tokenFor('bob', { expSec: -60 }) });
    const refusal = await expired.connect().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RealtimeError);
    expect(refusal).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(expired.status).toBe('closed');
    expect(expired.openResources()).toMatchObject({ socketListeners: 0, timers: 0 });

    let calls = 0;
    const provider = clients.make(app.url, 'bob', {
      token: () => {
        calls++;
        return tokenFor('bob', { expSec: -60 });
      },
    });
    const errors = recordOf<RealtimeError>(provider, 'error');
    await expect(provider.connect()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(calls).toBe(2);
    expect(errors.map((e) => e.code)).toEqual(['UNAUTHENTICATED']);
  });

  it('refreshes the token before exp: the socket outlives its first token', async () => {
    const refreshing = clients.make(app.url, 'carl', {
      token: () => tokenFor('carl', { expSec: 2 }),
    });
    // The same lifetime as a fixed string: nothing can refresh it, the server ends it.
    const fixed = clients.make(app.url, 'carl', { token: await tokenFor('carl', { expSec: 2 }) });
    const statuses = recordOf<string>(refreshing, 'status');
    const fixedGone = nextOf<[string]>(fixed, 'status', (status) => status === 'closed', 10_000);
    await Promise.all([refreshing.connect(), fixed.connect()]);
    const firstExp = (await refreshing.refreshToken()) as number; // refreshes now → the new exp
    let refreshes = 0;
    // Each refresh comes a tenth of the 2 s lifetime before exp: the third is past firstExp + 1.
    await nextOf(refreshing, 'refresh', () => ++refreshes === 3, 10_000);
    expect(Date.now()).toBeGreaterThan((firstExp + 1) * 1000);
    await fixedGone;
    expect(statuses).toEqual(['connecting', 'connected']);
    expect(refreshing.status).toBe('connected');
    await expect(refreshing.request('presence:list', { roomId: 'r' })).resolves.toEqual({
      roomId: 'r',
      members: [],
    });
  });

  it('opens its websocket with a given WebSocket constructor', async () => {
    const { WebSocket } = await import('ws');
    const urls: string[] = [];
    const Counted = class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        urls.push(url);
      }
    };
    const client = await clients.connected(app.url, 'ivan', { WebSocket: Counted as never });
    expect(urls).toEqual([expect.stringMatching(/^ws:.*\/socket\.io\/.*transport=websocket/)]);
    await expect(client.request('presence:list', { roomId: 'r' })).resolves.toMatchObject({
      members: [],
    });
  });

  it('request() returns the typed data or throws the RealtimeError of the ack', async () => {
    const client = await clients.connected(app.url, 'dora');
    const joined = await client.request('presence:join', { roomId: 'typed', state: { a: 1 } });
    expect(joined).toMatchObject({ roomId: 'typed', resumed: false, epoch: expect.any(Number) });
    const listed = await client.request('presence:list', { roomId: 'typed' });
    expect(listed.members.map((m: Member) => m.connId)).toEqual([joined.connId]);
    const bad = await client
      .request('presence:list', { roomId: 'not a room id!' })
      .catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(RealtimeError);
    expect(bad).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('roomId') });
  });

  it('after a timeout (UNAVAILABLE) asks readBeforeRetry: stop with what it read, or send again', async () => {
    const client = await clients.connected(app.url, 'gil');
    const inDoubt = { timeoutMs: 300, retries: 1 };
    app.child.kill('SIGSTOP'); // the join goes out and gets no answer in time
    const read = await client.request(
      'presence:join',
      { roomId: 'doubt', connId: 'gil-1' },
      {
        ...inDoubt,
        readBeforeRetry: async () => {
          app.child.kill('SIGCONT');
          const { members } = await client.request('presence:list', { roomId: 'doubt' });
          return members.length === 1 ? { readBack: members[0].connId } : undefined;
        },
      },
    );
    expect(read).toEqual({ readBack: 'gil-1' }); // the first join was applied after all

    app.child.kill('SIGSTOP');
    const resent = await client.request(
      'presence:join',
      { roomId: 'doubt', connId: 'gil-1' },
      {
        ...inDoubt,
        readBeforeRetry: () => Promise.resolve(app.child.kill('SIGCONT') && undefined),
      },
    );
    expect(resent).toMatchObject({ connId: 'gil-1', resumed: true });

    app.child.kill('SIGSTOP');
    const thrown = client.request('presence:list', { roomId: 'doubt' }, { timeoutMs: 300 });
    await expect(thrown).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('no answer within 300 ms'),
    });
    app.child.kill('SIGCONT');
  });

  it('waits for a connection within the timeout, and refuses requests after close()', async () => {
    const idle = clients.make(app.url, 'emil', { requestTimeoutMs: 300 });
    await expect(idle.request('presence:list', { roomId: 'r' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    const pending = idle.request('presence:list', { roomId: 'r' }, { timeoutMs: 3000 });
    await idle.connect();
    await expect(pending).resolves.toMatchObject({ roomId: 'r' });
    await idle.close();
    await expect(idle.request('presence:list', { roomId: 'r' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'the client is closed',
    });
    await expect(idle.connect()).rejects.toBeInstanceOf(RealtimeError);
  });

  describe('at 5 requests a second per socket', () => {
    const burst = (client: RealtimeClient, retries?: number) =>
      Promise.allSettled(
        Array.from({ length: 14 }, () =>
          client.request('presence:list', { roomId: 'busy' }, { retries }),
        ),
      );

    it('retries RATE_LIMITED with backoff until the requests pass', async () => {
      const noRetry = await clients.connected(app.url, 'fay');
      const refused = (await burst(noRetry, 0)).filter((r) => r.status === 'rejected');
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0].reason).toMatchObject({ code: 'RATE_LIMITED' });

      const patient = await clients.connected(app.url, 'fay', { retries: 10 });
      const results = await burst(patient);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    });
  });

  describe('server:shutdown of one of two Redis-backed processes', () => {
    it('reconnects after reconnectAfterMs (through the balancer, to the other process) and resumes the room', async () => {
      const player = await clients.connected(proxy.url, 'gus');
      const watcher = await clients.connected(second.url, 'hana');
      const observer = watcher.presence('table');
      await observer.join();
      const room = player.presence('table', { connId: 'gus-1', state: { seat: 3 } });
      const seen = nextOf<[Member]>(observer, 'join', (m) => m.connId === 'gus-1');
      const { epoch } = await room.join();
      await seen;
      const joins = recordOf<Member>(observer, 'join');
      const leaves = recordOf<Member>(observer, 'leave');
      const statuses = recordOf<string>(player, 'status');
      const reconnected = nextOf(player, 'reconnect', undefined, 10_000);

      proxy.upstreamPort = second.port; // what a load balancer does once the first stops
      const stopped = first.kill('SIGTERM');
      await reconnected;
      expect(await stopped).toBe(0);

      expect(statuses).toEqual(['reconnecting', 'connected']);
      expect(room.connId).toBe('gus-1');
      expect(room.epoch).toBeGreaterThan(epoch);
      const heard = nextOf(observer, 'message', () => true);
      await room.send('back', { from: 'second process' });
      await heard;
      expect(joins).toEqual([]);
      expect(leaves).toEqual([]);
      expect(observer.members.get('gus-1')).toMatchObject({ status: 'online', state: { seat: 3 } });
    });
  });
});
