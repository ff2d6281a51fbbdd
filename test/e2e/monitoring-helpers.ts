import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Reading the deployable monitoring files: config/prometheus, config/grafana, compose. */

export const repoPath = (relative: string): string =>
  fileURLToPath(new URL(`../../${relative}`, import.meta.url));

export const readRepoFile = (relative: string): string => readFileSync(repoPath(relative), 'utf8');

/** YAML as docker compose reads it: `<<` merges the `x-app` anchor into each replica. */
export const readYaml = <T>(relative: string): T =>
  parse(readRepoFile(relative), { merge: true }) as T;

export const ALERTS_FILE = 'config/prometheus/alerts.yml';
export const ALERT_TESTS_FILE = 'config/prometheus/alerts.test.yml';
export const SCRAPE_CONFIG_FILE = 'config/prometheus/prometheus.yml';
export const DASHBOARD_FILE = 'config/grafana/dashboards/avalon-realtime.json';

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export const ruleList = (): Rule[] =>
  readYaml<{ groups: { rules: Rule[] }[] }>(ALERTS_FILE).groups.flatMap((g) => g.rules);

export const alertRules = (): Rule[] => ruleList().filter((rule) => rule.alert !== undefined);

/** Grafana's range variable, as Prometheus itself would need it written. */
const GRAFANA_VARIABLES: [RegExp, string][] = [[/\$__rate_interval/g, '1m']];

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** Every query of the dashboard, with Grafana's variables replaced so PromQL parses it. */
export function dashboardQueries(): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(readRepoFile(DASHBOARD_FILE)) as { panels: Panel[] };
  const walk = (panels: Panel[]): { panel: string; expr: string }[] =>
    panels.flatMap((panel) => [
      ...(panel.targets ?? []).flatMap((t) =>
        t.expr === undefined ? [] : [{ panel: panel.title ?? '', expr: promql(t.expr) }],
      ),
      ...walk(panel.panels ?? []),
    ]);
  return walk(dashboard.panels);
}

const promql = (expr: string): string =>
  GRAFANA_VARIABLES.reduce((text, [variable, value]) => text.replace(variable, value), expr);

/** The expression with every quoted string (label values) emptied. */ const unquoted = (
  expr: string,
): string => expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');

/**
 * Metric names an expression reads: identifiers with the server's prefixes (its own
 * realtime_*, prom-client's process_* and nodejs_*). Label names never start with these, and
 * label values are quoted, so a plain scan is enough.
 */
export function metricNames(expr: string): string[] {
  return [
    ...new Set(unquoted(expr).match(/(?<![\w:])(?:realtime|process|nodejs)_[A-Za-z0-9_]+/g) ?? []),
  ];
}

/** Names of recording rules an expression reads (`level:metric:operation`). */
export const recordedNames = (expr: string): string[] => [
  ...new Set(unquoted(expr).match(/\b[a-z_]+:[A-Za-z0-9_:]+/g) ?? []),
];

export interface AlertTestFile {
  rule_files: string[];
  tests: {
    name: string;
    alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[];
  }[];
}

/** For each alert name: how many unit-test cases expect it firing, and how many quiet. */
export function unitTestCoverage(): Map<string, { firing: number; quiet: number }> {
  const file = readYaml<AlertTestFile>(ALERT_TESTS_FILE);
  const coverage = new Map<string, { firing: number; quiet: number }>();
  for (const check of file.tests.flatMap((t) => t.alert_rule_test ?? [])) {
    const seen = coverage.get(check.alertname) ?? { firing: 0, quiet: 0 };
    if (check.exp_alerts.length > 0) {
      seen.firing++;
    } else {
      seen.quiet++;
    }
    coverage.set(check.alertname, seen);
  }
  return coverage;
}

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to dashes. */
export const headingAnchors = (markdown: string): Set<string> =>
  new Set(
    [...markdown.matchAll(/^#{1,6} +(.+)$/gm)].map((m) =>
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );

/** "512M", "1G", "536870912" as docker compose reads a memory size, in bytes. */
export function composeBytes(size: string | number): number {
  const match = /^(\d+)([bkmg]?)b?$/i.exec(String(size).trim());
  if (!match) {
    throw new Error(`not a memory size: ${size}`);
  }
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2].toLowerCase()] ?? 1;
  return Number(match[1]) * unit;
}
