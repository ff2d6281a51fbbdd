import type { Redis } from 'ioredis';
import type { JoinResult } from '@avalon-realtime/client/protocol';
import type { AppProcess } from '../support/app.js';
import { closeAll, connect, type TestSocket } from '../support/client.js';
import {
  adminClient,
  expectSurvived,
  startPairOn,
  stopApp,
  timedRequest,
  type TimedAck,
} from '../support/fault.js';
import { RedisServer } from '../support/redis-server.js';

/** How long the load runs while scripts are flushed. */
const LOAD_MS = 3000;
const FLUSH_EVERY_MS = 50;
/** Generous: this test is about NOSCRIPT, not latency. */
const ACK_DEADLINE_MS = 5000;
const USERS_PER_PROCESS = 3;
const BUSY_RETRIES = 5;

describe.each(['lua', 'batched'])(
  `SCRIPT FLUSH every ${FLUSH_EVERY_MS} ms under load (PRESENCE_HEARTBEAT_MODE=%s)`,
  (mode) => {
    let redis: RedisServer;
    let admin: Redis;
    let a: AppProcess;
    let b: AppProcess;
    const sockets: TestSocket[] = [];

    beforeAll(async () => {
      redis = await RedisServer.start();
      admin = await adminClient(redis);
      // A deadline long enough that load alone never answers UNAVAILABLE: here any failed
      // request points at a script that was not reloaded.
      [a, b] = await startPairOn(redis, {
        PRESENCE_HEARTBEAT_MODE: mode,
        REDIS_COMMAND_TIMEOUT_MS: '2000',
      });
    });

    afterEach(() => closeAll(...sockets.splice(0)));

    afterAll(async () => {
      admin?.disconnect();
      await Promise.all([stopApp(a), stopApp(b)]);
      await redis?.stop();
    });

    /** One user's traffic until `until`: heartbeats, resumes, joins, leaves, metadata, locks. */
    async function worker(app: AppProcess, userId: string, roomId: string, until: number) {
      const socket = await connect(app.url, userId);
      sockets.push(socket);
      const acks: TimedAck[] = [];
      // BUSY is the protocol's answer to write contention (six users write one room
      // channel), unrelated to scripts: retried as a client would, a few times.
      const send = async (event: string, payload: unknown) => {
        let r = await timedRequest(socket, event, payload, ACK_DEADLINE_MS);
        for (let retry = 1; r.ack?.error?.code === 'BUSY' && retry <= BUSY_RETRIES; retry++) {
          await new Promise((resolve) => setTimeout(resolve, retry * 10));
          r = await timedRequest(socket, event, payload, ACK_DEADLINE_MS);
        }
        acks.push(r);
        return r;
      };
      const connId = `${userId}-1`;
      const joined = await send('presence:join', { roomId, connId, state: { n: 0 } });
      let epoch = (joined.ack?.data as JoinResult | undefined)?.epoch ?? 0;
      const session = () => ({ roomId, connId, epoch });
      const user = { channelType: 'user', channelName: userId };
      const room = { channelType: 'room', channelName: roomId };
      for (let i = 1; Date.now() < until; i++) {
        await Promise.all([
          send('presence:heartbeat', { ...session(), statePatch: { n: i } }),
          send('presence:heartbeat', session()),
          send('presence:list', { roomId }),
          send('metadata:set', { ...user, items: [{ key: 'n', value: i }] }),
          send('metadata:set', { ...room, items: [{ key: userId, value: i }] }),
          send('metadata:get', room),
          send('lock:acquire', { ...user, lockName: 'l', ttlMs: 5000 }),
          send('room:message', { roomId, data: { i } }),
          send('presence:user', { userId }),
        ]);
        const extra = `${userId}-x${i}`;
        await send('presence:join', { roomId, connId: extra });
        await send('presence:leave', { roomId, connId: extra });
        if (i % 3 === 0) {
          await send('lock:release', { ...user, lockName: 'l' });
          const resumed = await send('presence:join', { roomId, connId });
          epoch = (resumed.ack?.data as JoinResult | undefined)?.epoch ?? epoch;
        }
      }
      return acks;
    }

    it('never lets NOSCRIPT (or INTERNAL) reach a client: every request succeeds', async () => {
      let flushes = 0;
      let flushing = true;
      const flusher = (async () => {
        while (flushing) {
          expect(await admin.script('FLUSH')).toBe('OK');
          flushes++;
          await new Promise((resolve) => setTimeout(resolve, FLUSH_EVERY_MS));
        }
      })();
      const roomId = `flush-room-${mode}`;
      const until = Date.now() + LOAD_MS;
      const users = [a, b].flatMap((app, p) =>
        Array.from({ length: USERS_PER_PROCESS }, (_, u) => ({ app, userId: `u${p}${u}` })),
      );
      const acks = (
        await Promise.all(users.map(({ app, userId }) => worker(app, userId, roomId, until)))
      ).flat();
      flushing = false;
      await flusher;

      expect(flushes).toBeGreaterThanOrEqual(LOAD_MS / FLUSH_EVERY_MS / 3);
      expect(acks.length).toBeGreaterThan(100);
      const failures = acks
        .filter((r) => !r.ack?.ok)
        .map((r) => ({ event: r.event, noAck: r.noAck, error: r.ack?.error }));
      expect(failures.filter((f) => f.error?.message.includes('NOSCRIPT'))).toEqual([]);
      expect(failures.filter((f) => f.error?.code === 'INTERNAL')).toEqual([]);
      expect(failures).toEqual([]);
      for (const app of [a, b]) {
        expect(app.logs).not.toContain('NOSCRIPT');
      }
      expectSurvived(a, b);
    }, 30_000);
  },
);
