import type { HeartbeatCommand, HeartbeatOutcome } from '../../src/engine/presence.engine.js';
import { HeartbeatBatcher } from '../../src/presence/heartbeat-batcher.js';

const cmd = (connId: string, ops: HeartbeatCommand['ops'] = [], epoch = 1): HeartbeatCommand => ({
  roomId: 'r1',
  connId,
  userId: 'u1',
  epoch,
  ops,
  ttlMs: 1000,
});

const outcome = (c: HeartbeatCommand): HeartbeatOutcome => ({
  epoch: c.epoch,
  changed: c.ops.length > 0,
  expiresAt: 1,
  member: {
    connId: c.connId,
    userId: c.userId,
    state: {},
    status: 'online',
    joinedAt: 0,
    lastSeenAt: 0,
  },
});

describe('heartbeat batcher', () => {
  it('sends a full batch at once and answers each caller with its own result or error', async () => {
    const batches: HeartbeatCommand[][] = [];
    const batcher = new HeartbeatBatcher(
      (cmds) => {
        batches.push(cmds);
        return Promise.resolve(
          cmds.map((c) => (c.connId === 'bad' ? new Error('STALE') : outcome(c))),
        );
      },
      60_000,
      3,
    );
    const results = await Promise.allSettled([
      batcher.submit(cmd('a')),
      batcher.submit(cmd('bad')),
      batcher.submit(cmd('c')),
    ]);
    expect(batches).toHaveLength(1);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(
      (results[0] as PromiseFulfilledResult<{ outcome: HeartbeatOutcome }>).value.outcome.member
        .connId,
    ).toBe('a');
  });

  it('coalesces one session into one command, keeping every op in order, announced once', async () => {
    const sent: HeartbeatCommand[] = [];
    const batcher = new HeartbeatBatcher(
      (cmds) => {
        sent.push(...cmds);
        return Promise.resolve(cmds.map(outcome));
      },
      5,
      100,
    );
    const results = await Promise.all([
      batcher.submit(cmd('a', [{ statePatch: { x: 1 } }])),
      batcher.submit(cmd('a', [{ statePatch: { y: 2 } }])),
      batcher.submit(cmd('a', [{ state: { z: 3 } }])),
      batcher.submit(cmd('a', [], 2)),
    ]);
    expect(sent).toHaveLength(2);
    expect(sent[0].ops).toEqual([
      { statePatch: { x: 1 } },
      { statePatch: { y: 2 } },
      { state: { z: 3 } },
    ]);
    expect(results.map((r) => r.announce)).toEqual([false, false, true, true]);
  });

  it('rejects every caller when the whole batch fails, and drains pending work', async () => {
    const batcher = new HeartbeatBatcher(
      () => Promise.reject(new Error('redis down')),
      60_000,
      100,
    );
    const failed = expect(
      Promise.all([batcher.submit(cmd('a')), batcher.submit(cmd('b'))]),
    ).rejects.toThrow('redis down');
    await batcher.drain();
    await failed;
  });
});
