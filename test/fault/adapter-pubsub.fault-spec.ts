import type { Redis } from 'ioredis';
import type { JoinResult, PresenceEvent } from '@avalon-realtime/client/protocol';
import type { AppProcess } from '../support/app.js';
import { closeAll, connect, nextEvent, type TestSocket } from '../support/client.js';
import {
  adminClient,
  expectSurvived,
  parseClientList,
  readinessBecomes,
  startPairOn,
  stopApp,
} from '../support/fault.js';
import { RedisServer } from '../support/redis-server.js';
import { heartbeat, join, joinSeenBy, keepAlive } from '../e2e/presence-helpers.js';

/** Longest wait for broadcasts to flow again after the connections were killed. */
const RECOVERY_MS = 5000;
/** A fresh state change is sent this often until the other process hears one. */
const PROBE_EVERY_MS = 200;

let roomCounter = 0;
const newRoom = () => `adapter-room-${++roomCounter}`;

const ADAPTER_COMMANDS = ['subscribe', 'psubscribe', 'ssubscribe', 'publish'];

describe("the Socket.IO adapter's pub/sub connections killed (two processes)", () => {
  let redis: RedisServer;
  let admin: Redis;
  let a: AppProcess;
  let b: AppProcess;
  const sockets: TestSocket[] = [];
  const stoppers: (() => void)[] = [];

  const open = async (app: AppProcess, userId: string) => {
    const socket = await connect(app.url, userId);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = await adminClient(redis);
    [a, b] = await startPairOn(redis);
  });

  afterEach(() => {
    stoppers.splice(0).forEach((stop) => stop());
    closeAll(...sockets.splice(0));
  });

  afterAll(async () => {
    admin?.disconnect();
    await Promise.all([stopApp(a), stopApp(b)]);
    await redis?.stop();
  });

  /** Members on both processes, each watching the other's changes. */
  async function setup(): Promise<{
    onA: TestSocket;
    onB: TestSocket;
    aSession: JoinResult;
    bSession: JoinResult;
  }> {
    const roomId = newRoom();
    const onB = await open(b, 'bob');
    const bSession = await join(onB, { roomId, connId: 'bob-1' });
    const onA = await open(a, 'alice');
    const aSession = await joinSeenBy(onB, onA, { roomId, connId: 'alice-1' });
    stoppers.push(keepAlive(onA, aSession), keepAlive(onB, bSession));
    return { onA, onB, aSession, bSession };
  }

  /**
   * Sends a fresh state change from `sender` every PROBE_EVERY_MS until `observer` (on the
   * other process) hears one; a change published while the adapter reconnects is lost,
   * which is why a single probe would not do. Resolves with the number of probes sent.
   */
  async function heardAcross(
    sender: TestSocket,
    session: JoinResult,
    observer: TestSocket,
  ): Promise<number> {
    const deadline = Date.now() + RECOVERY_MS;
    for (let probe = 1; ; probe++) {
      const mark = `${Date.now()}-${probe}`;
      const heard = nextEvent<PresenceEvent>(
        observer,
        'presence:event',
        (e) => e.connId === session.connId && e.member?.state.mark === mark,
        PROBE_EVERY_MS,
      ).then(
        () => true,
        () => false,
      );
      const ack = await heartbeat(sender, {
        roomId: session.roomId,
        connId: session.connId,
        epoch: session.epoch,
        state: { mark },
      });
      // While a killed command connection reconnects, UNAVAILABLE is a fair answer.
      if (!ack.ok) {
        expect(ack.error.code).toBe('UNAVAILABLE');
      }
      if ((await heard) && ack.ok) {
        return probe;
      }
      if (Date.now() > deadline) {
        throw new Error(`no broadcast from ${session.connId} crossed within ${RECOVERY_MS} ms`);
      }
    }
  }

  const clients = async () => parseClientList(String(await admin.call('CLIENT', 'LIST')));

  it('CLIENT KILL TYPE pubsub and the publishers: broadcasts flow again both ways', async () => {
    const { onA, onB, aSession, bSession } = await setup();
    const before = await clients();
    const publishers = before.filter(
      (c) => c.name.startsWith('avalon:') && ADAPTER_COMMANDS.includes(c.cmd),
    );
    const killedSubscribers = Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
    // One subscriber connection per process at least.
    expect(killedSubscribers).toBeGreaterThanOrEqual(2);
    for (const client of publishers) {
      await admin.call('CLIENT', 'KILL', 'ID', client.id).catch(() => 0); // may be gone already
    }

    await heardAcross(onA, aSession, onB);
    await heardAcross(onB, bSession, onA);
    await Promise.all([readinessBecomes(a, 200), readinessBecomes(b, 200)]);
    expectSurvived(a, b);
  }, 30_000);

  it('every avalon: connection killed (commands, adapter pub and sub): full service again', async () => {
    const { onA, onB, aSession, bSession } = await setup();
    const victims = (await clients()).filter((c) => c.name.startsWith('avalon:'));
    // Commands, adapter-pub and adapter-sub of each process.
    expect(victims.length).toBeGreaterThanOrEqual(6);
    for (const client of victims) {
      await admin.call('CLIENT', 'KILL', 'ID', client.id).catch(() => 0);
    }

    await heardAcross(onA, aSession, onB);
    await heardAcross(onB, bSession, onA);
    // A brand-new member on A is announced on B too.
    const carol = await open(a, 'carol');
    await joinSeenBy(onB, carol, { roomId: aSession.roomId, connId: 'carol-1' });
    await Promise.all([readinessBecomes(a, 200), readinessBecomes(b, 200)]);
    expectSurvived(a, b);
  }, 30_000);
});
