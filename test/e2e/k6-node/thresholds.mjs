// Evaluates k6 threshold expressions (`p(95)<100`, `avg<100`, `count==144`, `rate>0.99`)
// on recorded samples, the way k6 reads them.
const EXPRESSION =
  /^(avg|min|max|med|count|rate|p\((\d+(?:\.\d+)?)\))\s*(==|!=|<=|>=|<|>)\s*(-?[\d.]+)$/;

const COMPARE = {
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** k6's percentile: linear interpolation between the closest ranks. */
function percentile(sorted, p) {
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (rank - low);
}

function trendValue(samples, aggregate, p) {
  const sorted = [...samples].sort((a, b) => a - b);
  const stats = {
    avg: () => sorted.reduce((sum, x) => sum + x, 0) / sorted.length,
    min: () => sorted[0],
    max: () => sorted[sorted.length - 1],
    med: () => percentile(sorted, 50),
  };
  return p === undefined ? stats[aggregate]?.() : percentile(sorted, Number(p));
}

function valueOf(metric, aggregate, p, { checks, counters, trends }) {
  if (metric === 'checks' && aggregate === 'rate') {
    const tallies = [...checks.values()];
    const passes = tallies.reduce((sum, t) => sum + t.passes, 0);
    return passes / tallies.reduce((sum, t) => sum + t.passes + t.fails, 0);
  }
  if (counters.has(metric) && aggregate === 'count') {
    return counters.get(metric);
  }
  const samples = trends.get(metric);
  return samples?.length ? trendValue(samples, aggregate, p) : undefined;
}

/** One entry per expression: `value` undefined means the metric has no data (k6 fails it too). */
export function evaluate(thresholds, recorded) {
  return Object.entries(thresholds).flatMap(([metric, expressions]) =>
    expressions.map((expression) => {
      const [, aggregate, p, op, bound] = EXPRESSION.exec(expression) ?? [];
      const value = aggregate
        ? valueOf(metric, aggregate.replace(/\(.*/, ''), p, recorded)
        : undefined;
      const passed = value !== undefined && COMPARE[op](value, Number(bound));
      return { metric, expression, value, passed };
    }),
  );
}
