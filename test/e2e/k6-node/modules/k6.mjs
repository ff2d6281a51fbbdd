import { checks } from './registry.mjs';

/** k6's check(): runs each named test on `value`, tallies it, true when all passed. */
export function check(value, sets) {
  let all = true;
  for (const [name, test] of Object.entries(sets)) {
    const passed = Boolean(test(value));
    const tally = checks.get(name) ?? { passes: 0, fails: 0 };
    tally[passed ? 'passes' : 'fails']++;
    checks.set(name, tally);
    all &&= passed;
  }
  return all;
}
