// A stand-in for `k6 run` in Node, enough to execute the k6/ scenario files themselves:
//   node run.mjs <script.js> <vus> <iterations>   (the k6 -e settings come from the environment)
// `k6`, `k6/metrics`, `k6/websockets`, `k6/timers`, `k6/crypto` and `k6/encoding` resolve to
// the small modules beside this file. It runs <vus> VUs of <iterations> iterations each
// (not the script's executors), then prints JSON: checks, counters and every threshold of
// the script's options evaluated on what was recorded.
// VUs share one process: __VU/__ITER are set right before each call of the default
// function, which reads them before its first await (true of every script in k6/).
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { evaluate } from './thresholds.mjs';

register('./hooks.mjs', import.meta.url);
const [script, vus, iterations] = process.argv.slice(2);
const { checks, counters, trends } = await import('./modules/registry.mjs');

globalThis.__ENV = { ...process.env };
globalThis.open = (path) => readFileSync(path, 'utf8');

const scenario = await import(pathToFileURL(script).href);

async function vu(n) {
  for (let iter = 0; iter < Number(iterations); iter++) {
    globalThis.__VU = n;
    globalThis.__ITER = iter;
    await scenario.default();
  }
}

await Promise.all(Array.from({ length: Number(vus) }, (_, i) => vu(i + 1)));
const thresholds = evaluate(scenario.options.thresholds ?? {}, { checks, counters, trends });
const summary = {
  options: scenario.options,
  checks: Object.fromEntries(checks),
  counters: Object.fromEntries(counters),
  thresholds,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
