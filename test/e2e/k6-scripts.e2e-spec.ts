import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AppProcess } from '../support/app.js';
import { TEST_JWT_SECRET } from '../support/tokens.js';

const RUN = fileURLToPath(new URL('./k6-node/run.mjs', import.meta.url));
const script = (name: string) => fileURLToPath(new URL(`../../k6/${name}`, import.meta.url));

interface Summary {
  options: {
    scenarios: Record<string, { stages?: { target: number }[] }>;
    thresholds: Record<string, string[]>;
  };
  checks: Record<string, { passes: number; fails: number }>;
  counters: Record<string, number>;
  thresholds: { metric: string; expression: string; value?: number; passed: boolean }[];
}

/**
 * The scenario files themselves (options, thresholds, default function, k6-runtime.js),
 * run by test/e2e/k6-node/run.mjs: a stand-in for `k6 run` whose `k6/*` modules are Node
 * code (ws, node:crypto, timers). Paces are in ms so a run takes about a second.
 */
describe('k6 scenario files under a Node stand-in for k6 (memory engine)', () => {
  let app: AppProcess;

  beforeAll(async () => {
    app = await AppProcess.start();
  });

  afterAll(async () => {
    await app?.kill();
  });

  async function run(
    name: string,
    vus: number,
    iterations: number,
    env: Record<string, string> = {},
  ): Promise<Summary> {
    const settings = { BASE_URL: app.url, AUTH_JWT_SECRET: TEST_JWT_SECRET, ...env };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [RUN, script(name), String(vus), String(iterations)],
      // killed if it hangs, so a stuck run fails the test instead of outliving it
      { env: { PATH: process.env.PATH ?? '', ...settings }, timeout: 15_000 },
    );
    return JSON.parse(stdout) as Summary;
  }

  const failedChecks = (summary: Summary) =>
    Object.entries(summary.checks).filter(([, tally]) => tally.fails > 0);

  /**
   * Every threshold names a metric the run recorded, and those that count (checks, counters)
   * hold; latency thresholds are k6's business on a real deployment, not this test's.
   */
  function expectThresholdsMeaningful(summary: Summary): void {
    expect(summary.thresholds.filter((t) => t.value === undefined)).toEqual([]);
    const counting = summary.thresholds.filter((t) => /^(count|rate)/.test(t.expression));
    expect(counting.filter((t) => !t.passed)).toEqual([]);
    expect(counting.length).toBeGreaterThan(0);
  }

  it('smoke.js: every check passes', async () => {
    const summary = await run('smoke.js', 1, 1);
    expect(failedChecks(summary)).toEqual([]);
    expect(Object.keys(summary.checks).length).toBeGreaterThanOrEqual(15);
    expectThresholdsMeaningful(summary);
  });

  it('load.js: ramps to 300 VUs with the p95 < 100 ms and < 1 % failed-check thresholds', async () => {
    const summary = await run('load.js', 20, 1, {
      SESSION_S: '1',
      HEARTBEAT_MS: '150',
      MESSAGE_MS: '200',
    });
    const stages = summary.options.scenarios.load.stages ?? [];
    expect(Math.max(...stages.map((stage) => stage.target))).toBeGreaterThanOrEqual(300);
    expect(summary.options.thresholds).toMatchObject({
      presence_heartbeat_ms: ['p(95)<100'],
      room_message_ack_ms: ['p(95)<100'],
      checks: ['rate>0.99'],
    });
    expect(failedChecks(summary)).toEqual([]);
    expectThresholdsMeaningful(summary);
  });

  it('soak.js: sessions repeat (iterations) and every check passes', async () => {
    const pace = { SESSION_S: '1', HEARTBEAT_MS: '150', MESSAGE_MS: '200', ROOM_SIZE: '5' };
    const summary = await run('soak.js', 10, 2, pace);
    expect(summary.checks['presence:join ok']).toEqual({ passes: 20, fails: 0 });
    expect(failedChecks(summary)).toEqual([]);
    expectThresholdsMeaningful(summary);
  });

  it('spike.js: 60 players connecting at once all get in', async () => {
    const summary = await run('spike.js', 60, 1, {
      SESSION_S: '1',
      HEARTBEAT_MS: '150',
      MESSAGE_MS: '200',
    });
    expect(summary.checks['socket.io connected']).toEqual({ passes: 60, fails: 0 });
    expect(failedChecks(summary)).toEqual([]);
    expectThresholdsMeaningful(summary);
  });

  it('session.js: 12 players, 144 messages acked, 1,584 delivered, thresholds hold', async () => {
    const summary = await run('session.js', 12, 1, { MESSAGE_MS: '50' });
    expect(summary.counters).toMatchObject({
      room_messages_acked: 144,
      room_messages_received: 1584,
      request_failures: 0,
    });
    expect(failedChecks(summary)).toEqual([]);
    expectThresholdsMeaningful(summary);
  });
});
