import { EventBudget } from '../../src/rate-limit/event-budget.js';

const take = (budget: EventBudget, count: number, now: number): boolean[] =>
  Array.from({ length: count }, () => budget.allows(now));

describe('event budget (one socket)', () => {
  it('allows the rate per second, then a burst of as many again per two seconds', () => {
    const budget = new EventBudget(3);
    expect(take(budget, 7, 0)).toEqual([true, true, true, true, true, true, false]);
    // A new second: the rate is back, the burst (two-second window) is spent.
    expect(take(budget, 4, 1000)).toEqual([true, true, true, false]);
    // A new two-second window: the burst is back too.
    expect(take(budget, 7, 2000)).toEqual([true, true, true, true, true, true, false]);
  });

  it('strikes out after ten seconds of refusals at the full rate, and forgives after', () => {
    const budget = new EventBudget(2);
    const strikes = Array.from({ length: 21 }, () => budget.strikeOut(0));
    expect(strikes.slice(0, 20).every((out) => !out)).toBe(true);
    expect(strikes[20]).toBe(true);
    expect(budget.strikeOut(10_000)).toBe(false);
  });
});
