import { stringify } from 'yaml';
import { AppProcess } from '../support/app.js';
import { closeAndWait, connect, request, requestOk, type TestSocket } from '../support/client.js';
import { parseMetrics, type Scrape } from '../support/ops.js';
import { PrometheusServer, promtool } from '../support/prometheus.js';
import { RedisServer, freePort, uniquePrefix } from '../support/redis-server.js';
import {
  ALERTS_FILE,
  ALERT_TESTS_FILE,
  SCRAPE_CONFIG_FILE,
  alertRules,
  dashboardQueries,
  headingAnchors,
  metricNames,
  readRepoFile,
  readYaml,
  recordedNames,
  repoPath,
  ruleList,
  unitTestCoverage,
} from './monitoring-helpers.js';
import { heartbeat, join } from './presence-helpers.js';

/** Where the alert rules and the dashboard read from: expressions, named for messages. */
const expressions = (): { from: string; expr: string }[] => [
  ...ruleList().map((r) => ({ from: `rule ${r.alert ?? r.record}`, expr: r.expr })),
  ...dashboardQueries().map((q) => ({ from: `panel "${q.panel}"`, expr: q.expr })),
];

describe('monitoring: promtool on the shipped files', () => {
  it('accepts the scrape config and the rule files it names', async () => {
    const { code, output } = await promtool('check', 'config', repoPath(SCRAPE_CONFIG_FILE));
    expect([code, output]).toEqual([0, expect.stringContaining('SUCCESS: 1 rule files found')]);
  });

  it('accepts the alert rules', async () => {
    const { code, output } = await promtool('check', 'rules', repoPath(ALERTS_FILE));
    expect([code, output]).toEqual([0, expect.stringContaining('SUCCESS')]);
  });

  it('passes the rule unit tests', async () => {
    const { code, output } = await promtool('test', 'rules', repoPath(ALERT_TESTS_FILE));
    expect([code, output]).toEqual([0, expect.stringContaining('SUCCESS')]);
  });
});

describe('monitoring: what the alert rules promise', () => {
  it('gives every alert a for:, a severity and summary, description and runbook annotations', () => {
    const alerts = alertRules();
    expect(alerts.length).toBeGreaterThanOrEqual(11);
    for (const rule of alerts) {
      expect([rule.alert, rule.for]).toEqual([rule.alert, expect.stringMatching(/^\d+[smh]$/)]);
      expect([rule.alert, rule.labels?.severity]).toEqual([
        rule.alert,
        expect.stringMatching(/^(critical|warning)$/),
      ]);
      for (const key of ['summary', 'description', 'runbook']) {
        expect([rule.alert, key, rule.annotations?.[key]]).toEqual([
          rule.alert,
          key,
          expect.stringMatching(/\S/),
        ]);
      }
    }
  });

  it('has a unit test that fires each alert and one that keeps it quiet', () => {
    const coverage = unitTestCoverage();
    for (const { alert } of alertRules()) {
      const seen = coverage.get(alert ?? '') ?? { firing: 0, quiet: 0 };
      expect([alert, seen.firing > 0, seen.quiet > 0]).toEqual([alert, true, true]);
    }
  });

  it('documents each alert where its runbook annotation points (docs/monitoring.md)', () => {
    const anchors = headingAnchors(readRepoFile('docs/monitoring.md'));
    for (const rule of alertRules()) {
      const [file, anchor] = (rule.annotations?.runbook ?? '').split('#');
      expect([rule.alert, file, anchors.has(anchor)]).toEqual([
        rule.alert,
        'docs/monitoring.md',
        true,
      ]);
    }
  });

  it('reads only recording rules that alerts.yml defines', () => {
    const recorded = new Set(ruleList().flatMap((r) => (r.record ? [r.record] : [])));
    for (const { from, expr } of expressions()) {
      for (const name of recordedNames(expr)) {
        expect([from, name, recorded.has(name)]).toEqual([from, name, true]);
      }
    }
  });
});

describe('monitoring: the rules and the dashboard on a real server, scraped by a real Prometheus', () => {
  let redis: RedisServer;
  let app: AppProcess;
  let metricsPort: number;
  let prometheus: PrometheusServer;
  let scraped: Scrape;
  const sockets: TestSocket[] = [];

  /** The shipped scrape config, pointed at this server and sped up (1 s scrapes and rules). */
  const scrapeConfigFor = (target: string): string => {
    const config = readYaml<{
      global: Record<string, string>;
      rule_files: string[];
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    }>(SCRAPE_CONFIG_FILE);
    config.global = { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' };
    config.rule_files = config.rule_files.map((file) => repoPath(`config/prometheus/${file}`));
    config.scrape_configs[0].static_configs = [{ targets: [target] }];
    return stringify(config);
  };

  /** Requests of several kinds, so histograms and labelled counters have samples. */
  const realTraffic = async () => {
    const socket = await connect(app.url, 'monitor-user');
    sockets.push(socket);
    const session = await join(socket, { roomId: 'monitor-room', connId: 'monitor-conn' });
    const { roomId, connId, epoch } = session;
    const beat = await heartbeat(socket, { roomId, connId, epoch, state: { seat: 1 } });
    expect(beat).toEqual({ ok: true, data: expect.objectContaining({ changed: true }) });
    await requestOk(socket, 'metadata:set', {
      channelType: 'room',
      channelName: 'monitor-room',
      items: [{ key: 'k', value: 1 }],
    });
    expect(await request(socket, 'presence:list', { roomId: 'monitor-room', extra: 1 })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'BAD_REQUEST' }),
    });
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    metricsPort = await freePort();
    // As in docker-compose.yml: /metrics on the internal METRICS_PORT.
    app = await AppProcess.start({
      redisUrl: redis.url,
      prefix: uniquePrefix(),
      env: { METRICS_PORT: String(metricsPort), PRESENCE_HEARTBEAT_MODE: 'batched' },
    });
    await realTraffic();
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    scraped = parseMetrics(await res.text());
    prometheus = await PrometheusServer.start(scrapeConfigFor(`127.0.0.1:${metricsPort}`));
  });

  afterAll(async () => {
    await closeAndWait(...sockets.splice(0));
    await Promise.all([prometheus?.stop(), app?.kill()]);
    await redis?.stop();
  });

  it('exports every metric the alert rules and the dashboard read', () => {
    const exported = new Set([...scraped.types.keys(), ...scraped.samples.map((s) => s.name)]);
    const read = expressions().flatMap(({ from, expr }) =>
      metricNames(expr).map((name) => ({ from, name })),
    );
    expect(read.length).toBeGreaterThan(30);
    const missing = read.filter(({ name }) => !exported.has(name));
    expect(missing).toEqual([]);
  });

  it('scrapes the server under the job name the rules select, and evaluates every rule without error', async () => {
    const rules = await until(
      () => prometheus.rules(),
      (list) => list.length > 0 && list.every((r) => r.health !== 'unknown'),
    );
    const up = await until(
      () => prometheus.query('up{job="avalon-realtime"} == 1'),
      (q) => (q.data?.result.length ?? 0) === 1,
    );
    expect(up.data?.result[0].metric.instance).toBe(`127.0.0.1:${metricsPort}`);
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
    expect(rules.map((r) => r.name).sort()).toEqual(
      ruleList()
        .map((r) => r.alert ?? r.record)
        .sort(),
    );
  });

  it('evaluates every alert and dashboard expression on the scraped data', async () => {
    await until(
      () => prometheus.query('count(up{job="avalon-realtime"} == 1)'),
      (q) => (q.data?.result.length ?? 0) === 1,
    );
    for (const { from, expr } of expressions()) {
      const answer = await prometheus.query(expr);
      expect([from, answer.status, answer.error]).toEqual([from, 'success', undefined]);
    }
    // the signals a healthy server must show: Redis up, memory read against the limit
    const redisUp = await prometheus.query('realtime_redis_up');
    expect(redisUp.data?.result.map((r) => r.value)).toEqual([[expect.any(Number), '1']]);
    const memory = await prometheus.query(
      alertRules()
        .find((r) => r.alert === 'RealtimeMemoryHigh')
        ?.expr.replace(/>\s*0\.8\s*$/, '') ?? '',
    );
    expect(memory.data?.result).toHaveLength(1);
  });
});

/** Re-reads `read()` until `done` holds (Prometheus scrapes and evaluates once a second). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
