import { METRIC } from '../../k6/lib/metrics.js';
import { roomUser } from '../../k6/lib/room-user.js';
import { sessionPlayer } from '../../k6/lib/session-player.js';
import { socketUrl, userIds } from '../../k6/lib/settings.js';
import { smokeUser } from '../../k6/lib/smoke-user.js';
import type { Runtime } from '../../k6/lib/types.js';
import { AppProcess } from '../support/app.js';
import { nodeRuntime, type NodeRecorder } from './k6-shim.js';

/**
 * Each k6 scenario's per-user logic, run in Node for about a second of compressed time
 * (pace in ms instead of seconds) against a live server: what each k6 VU would do.
 */
describe('k6 scenarios, per-user logic in Node (memory engine)', () => {
  let app: AppProcess;
  let url: string;
  let runtime: Runtime;
  let recorder: NodeRecorder;

  beforeAll(async () => {
    app = await AppProcess.start();
    url = socketUrl(app.url);
  });

  beforeEach(() => {
    ({ runtime, recorder } = nodeRuntime());
  });

  afterAll(async () => {
    await app?.kill();
  });

  /** VUs `from`..`to` of a room-user scenario: load, soak and spike differ only in pace. */
  const roomUsers = (prefix: string, from: number, to: number, pace: { sessionMs: number }) =>
    Array.from({ length: to - from + 1 }, (_, i) =>
      roomUser(runtime, {
        url,
        ...userIds(prefix, from + i, 10),
        heartbeatMs: 150,
        messageMs: 200,
        ...pace,
      }),
    );

  it('smoke: every request kind passes its check', async () => {
    await smokeUser(runtime, { url, prefix: 'smoke', roomId: 'smoke-table', waitMs: 2000 });
    expect(recorder.failedChecks()).toEqual([]);
    expect([...recorder.checks.keys()]).toEqual(
      expect.arrayContaining([
        'a bad token is refused with UNAUTHENTICATED',
        'socket.io connected',
        'a state patch is reported as a change',
        'metadata:get returns the write',
        'lock:acquire returns a fencing token',
        'the other player receives the message',
        'auth:refresh returns the new exp',
        'presence:leave ok',
      ]),
    );
  });

  it('load: 30 players at 3 tables heartbeat and chat, every check passes', async () => {
    await Promise.all(roomUsers('load', 1, 30, { sessionMs: 1000 }));
    expect(recorder.failedChecks()).toEqual([]);
    expect(recorder.sampleCount(METRIC.join)).toBe(30);
    // The pace is in ms here, so how many fit in a session varies; every player gets some.
    expect(recorder.checks.get('presence:heartbeat ok')?.passed).toBeGreaterThanOrEqual(30);
    expect(recorder.counted(METRIC.messagesAcked)).toBeGreaterThanOrEqual(30);
    expect(recorder.counted(METRIC.messagesAcked)).toBe(recorder.sampleCount(METRIC.messageAck));
    expect(recorder.counted(METRIC.messagesReceived)).toBeGreaterThan(0);
    expect(recorder.counted(METRIC.requestFailures)).toBe(0);
  });

  it('soak: players play session after session (k6 iterations) with nothing failing', async () => {
    const iterations = async (n: number) => {
      for (let i = 0; i < 3; i++) {
        await roomUser(runtime, {
          url,
          ...userIds('soak', n, 5),
          sessionMs: 400,
          heartbeatMs: 150,
          messageMs: 200,
        });
      }
    };
    await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(iterations));
    expect(recorder.failedChecks()).toEqual([]);
    expect(recorder.sampleCount(METRIC.join)).toBe(30);
    expect(recorder.checks.get('presence:leave ok')).toEqual({ passed: 30, failed: 0 });
  });

  it('spike: 80 players arrive at once while 10 play on; all connect and are answered', async () => {
    const base = roomUsers('spike', 1, 10, { sessionMs: 1500 });
    await recorder.until(() => recorder.sampleCount(METRIC.join) === 10);
    await Promise.all([...roomUsers('spike', 11, 90, { sessionMs: 500 }), ...base]);
    expect(recorder.failedChecks()).toEqual([]);
    expect(recorder.checks.get('socket.io connected')).toEqual({ passed: 90, failed: 0 });
  });

  it('session: 12 players, 144 messages, each delivered to all 11 others', async () => {
    const players = Array.from({ length: 12 }, (_, i) =>
      sessionPlayer(runtime, {
        url,
        userId: `p${i + 1}`,
        connId: `p${i + 1}-c`,
        roomId: 'session-12',
        players: 12,
        messages: 12,
        messageMs: 50,
        waitMs: 5000,
      }),
    );
    await Promise.all(players);
    expect(recorder.failedChecks()).toEqual([]);
    expect(recorder.checks.get('every player present')).toEqual({ passed: 12, failed: 0 });
    expect(recorder.counted(METRIC.messagesAcked)).toBe(144);
    expect(recorder.counted(METRIC.messagesReceived)).toBe(12 * 11 * 12);
    expect(recorder.sampleCount(METRIC.delivery)).toBe(12 * 11 * 12);
  });
});
