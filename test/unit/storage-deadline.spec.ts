import { setTimeout as wait } from 'node:timers/promises';
import { Deadline } from '../../src/common/deadline.js';
import { withDeadline } from '../../src/common/storage-deadline.js';

describe('withDeadline', () => {
  it('answers UNAVAILABLE when the work outlives the deadline', async () => {
    await expect(withDeadline(20, () => wait(200, 'late'))).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  });

  it('given an outer deadline: that one counts, the inner one does not start afresh', async () => {
    const outerCuts = withDeadline(20, (d) => withDeadline(10_000, () => wait(200, 'late'), d));
    await expect(outerCuts).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const innerIgnored = withDeadline(10_000, (d) => withDeadline(10, () => wait(60, 'done'), d));
    await expect(innerIgnored).resolves.toBe('done');
  });

  it('starts no nested work once the outer deadline has passed', async () => {
    let started = false;
    let nested: Promise<unknown> = Promise.resolve();
    const outer = withDeadline(20, async (d) => {
      await wait(60);
      nested = withDeadline(
        1000,
        () => {
          started = true;
          return Promise.resolve();
        },
        d,
      );
      return nested;
    });
    await expect(outer).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await wait(80);
    await expect(nested).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(started).toBe(false);
  });
});

describe('Deadline', () => {
  it('calls each listener once when it passes, and none that was cancelled', () => {
    const deadline = new Deadline();
    const heard: string[] = [];
    deadline.onPass(() => heard.push('a'));
    const cancel = deadline.onPass(() => heard.push('b'));
    cancel();
    expect(deadline.passed).toBe(false);
    deadline.pass();
    deadline.pass();
    expect(deadline.passed).toBe(true);
    expect(heard).toEqual(['a']);
  });
});
