import { jest } from '@jest/globals';
import { ProcessStop, type StopHooks } from '../../src/shutdown/process-stop.js';

/** The hooks as a recorder, with a stop the test settles when it wants. */
function recorder(watchdog: Pick<StopHooks, 'watchdogMs' | 'pending'> = {}) {
  const exits: number[] = [];
  const logged: string[] = [];
  const reasons: string[] = [];
  let settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  const hooks: StopHooks = {
    stop: (reason) => {
      reasons.push(reason);
      return new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    },
    exit: (code) => exits.push(code),
    log: (entry) => logged.push(entry.msg),
    error: (entry, stack) => logged.push(`${entry.msg}: ${entry.err}${stack ? ' (stack)' : ''}`),
    ...watchdog,
  };
  const stopped = async (how: 'resolve' | 'reject') => {
    if (how === 'resolve') {
      settle?.resolve();
    } else {
      settle?.reject(new Error('close failed'));
    }
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { stop: new ProcessStop(hooks), exits, logged, reasons, stopped };
}

describe('process stop on signals and uncaught exceptions', () => {
  it('stops gracefully on a signal and exits 0 once the stop is done', async () => {
    const r = recorder();
    r.stop.onSignal('SIGTERM');
    expect(r.reasons).toEqual(['SIGTERM']);
    expect(r.exits).toEqual([]);
    await r.stopped('resolve');
    expect(r.exits).toEqual([0]);
  });

  it('logs an uncaught exception with its stack, stops the same way, and exits 1', async () => {
    const r = recorder();
    r.stop.onFault(new Error('boom'));
    expect(r.logged).toEqual(['uncaught exception: boom (stack)']);
    expect(r.reasons).toEqual(['uncaught exception']);
    expect(r.exits).toEqual([]);
    await r.stopped('resolve');
    expect(r.exits).toEqual([1]);
  });

  it('exits 1 at once on a second fault or signal during the stop, without stopping twice', () => {
    const r = recorder();
    r.stop.onFault(new Error('first'));
    r.stop.onFault('second');
    expect(r.exits).toEqual([1]);
    r.stop.onSignal('SIGINT');
    expect(r.exits).toEqual([1, 1]);
    expect(r.reasons).toEqual(['uncaught exception']);
  });

  it('exits 1 when the stop itself fails', async () => {
    const r = recorder();
    r.stop.onSignal('SIGTERM');
    await r.stopped('reject');
    expect(r.exits).toEqual([1]);
    expect(r.logged.at(-1)).toMatch(/shutdown failed: Error: close failed/);
  });

  it('exits with the stop’s code when the stop outlives its watchdog, logging what is pending', () => {
    jest.useFakeTimers();
    try {
      const pending = jest.fn(() => ({ step: 'closing the app' }));
      const r = recorder({ watchdogMs: 3000, pending });
      r.stop.onSignal('SIGTERM');
      jest.advanceTimersByTime(2999);
      expect(r.exits).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(r.exits).toEqual([0]);
      expect(pending).toHaveBeenCalledTimes(1);
      expect(r.logged).toEqual(['shutdown watchdog: exiting with work pending: undefined']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('disarms the watchdog when the stop finishes in time', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const r = recorder({ watchdogMs: 50 });
      r.stop.onFault(new Error('boom'));
      await r.stopped('resolve');
      jest.advanceTimersByTime(100);
      expect(r.exits).toEqual([1]);
    } finally {
      jest.useRealTimers();
    }
  });
});
