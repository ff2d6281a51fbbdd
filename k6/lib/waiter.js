/** @typedef {import('./types.js').Clock} Clock */

/** Resolves after `ms` on the given clock. @param {Clock} clock @param {number} ms */
export const sleep = (clock, ms) =>
  new Promise((resolve) => clock.setTimeout(() => resolve(undefined), ms));

/**
 * Waits for conditions that events make true: `until(holds, ms)` resolves true as soon as
 * `holds()` does (tested now and on every `poke()`), false after `ms`.
 */
export class Waiter {
  /** @param {Clock} clock */
  constructor(clock) {
    this.clock = clock;
    /** @type {Set<() => void>} */
    this.waiting = new Set();
  }

  /** @param {() => boolean} holds @param {number} ms @returns {Promise<boolean>} */
  until(holds, ms) {
    if (holds()) {
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const done = (/** @type {boolean} */ result) => {
        this.clock.clearTimeout(timer);
        this.waiting.delete(test);
        resolve(result);
      };
      const test = () => (holds() ? done(true) : undefined);
      const timer = this.clock.setTimeout(() => done(false), ms);
      this.waiting.add(test);
    });
  }

  /** Something changed: re-test every waiting condition. */
  poke() {
    [...this.waiting].forEach((test) => test());
  }
}
