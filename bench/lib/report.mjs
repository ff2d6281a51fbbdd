// Figures, tables and the JSON record: every suite returns { title, columns, rows, notes }
// and the runner prints it as a markdown table and writes it to bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The p-th percentile of `values` (sorted in place), or null for no values. */
export function percentile(values, p) {
  if (values.length === 0) {
    return null;
  }
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];
}

/** `value / baseline` as `×1.23`, or an empty cell when either is missing. */
export function ratio(value, baseline) {
  if (value === null || value === undefined || !baseline) {
    return '';
  }
  return `×${(value / baseline).toFixed(2)}`;
}

/**
 * With the `cluster` target in a run: sets `<key>VsLua` on the lua and cluster rows of
 * `group`, their `key` against the lua row's (the same server on one Redis).
 */
export function ratiosToLua(group, keys) {
  const lua = group.find((row) => row.target === 'lua') ?? {};
  for (const row of group.filter(({ target }) => target === 'lua' || target === 'cluster')) {
    for (const key of keys) {
      row[`${key}VsLua`] = ratio(row[key], lua[key]);
    }
  }
}

const cell = (value) => {
  if (value === null || value === undefined) {
    return '–';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1);
  }
  return String(value);
};

/**
 * A markdown table of `rows` (objects) in the order of `columns` ([key, heading] pairs), with
 * a `failed` column when a measurement failed.
 */
export function markdownTable(shown, rows) {
  const columns = rows.some((row) => row.failed) ? [...shown, ['failed', 'failed']] : shown;
  const head = `| ${columns.map(([, heading]) => heading).join(' | ')} |`;
  const rule = `|${columns.map(() => '---').join('|')}|`;
  const body = rows.map((row) => `| ${columns.map(([key]) => cell(row[key])).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

/** Prints a suite's result and writes it as JSON into `folder`; returns the file written. */
export function publish(suite, result, context, folder) {
  console.log(`\n### ${result.title}\n`);
  for (const table of result.tables) {
    if (table.caption) {
      console.log(`${table.caption}\n`);
    }
    console.log(`${markdownTable(table.columns, table.rows)}\n`);
  }
  result.notes?.forEach((note) => console.log(`- ${note}`));
  mkdirSync(folder, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(folder, `${suite}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify({ suite, ...context, ...result }, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
  return file;
}

/**
 * Runs one measurement; a failure (a server that died, a socket the server closed) becomes
 * a row that says so, and the suite goes on with the next one.
 */
export async function measureOrFail(row, measure) {
  try {
    return await measure();
  } catch (error) {
    console.error(`[failed] ${JSON.stringify(row)}: ${error.message}`);
    return { ...row, failed: error.message.slice(0, 200) };
  }
}
