import { availableParallelism } from 'node:os';
import { processRole, workerCount, WORKER_SLOT_VAR } from '../../src/workers/process-role.js';
import { RestartBackoff, STABLE_AFTER_MS } from '../../src/workers/restart-backoff.js';

describe('WORKERS: which process this is', () => {
  it('unset, 0 or invalid: one process as before; a number or auto: a primary', () => {
    expect([undefined, '0', 'two', '-1'].map((w) => processRole({ WORKERS: w }))).toEqual([
      'single',
      'single',
      'single',
      'single',
    ]);
    expect(processRole({ WORKERS: '1' })).toBe('primary');
    expect(processRole({ WORKERS: 'auto' })).toBe('primary');
    // only a cluster worker can be a worker: the slot variable alone changes nothing
    expect(processRole({ WORKERS: '0', [WORKER_SLOT_VAR]: '0' })).toBe('single');
  });

  it('auto is one worker per core Node may use', () => {
    expect(workerCount('auto')).toBe(availableParallelism());
    expect(workerCount('3')).toBe(3);
  });
});

describe('RestartBackoff: the wait before replacing a crashed worker', () => {
  it('doubles on crashes in a row, up to 30 s, and starts again after a stable run', () => {
    const backoff = new RestartBackoff();
    const start = 1_000_000;
    const delays = Array.from({ length: 8 }, () => backoff.next(start, start + 1000));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoff.next(start, start + STABLE_AFTER_MS)).toBe(500);
    expect(backoff.next(undefined)).toBe(1000);
  });
});
