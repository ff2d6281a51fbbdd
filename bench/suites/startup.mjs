/* global fetch */
// startup: spawn → ready, each start a new process. The project's server counts as ready at
// its first GET /health/ready 200 (polled every 5 ms); bare Socket.IO, which has no such
// route, at its "listening" line. Also the CPU the process used by then (/proc).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { measureOrFail, percentile, ratio } from '../lib/report.mjs';
import { cpuMicros, freePort, launchSpec, stop, usesRedis } from '../lib/servers.mjs';

const POLL_MS = 5;

/** Rejects when the child exits (with the end of its output); never resolves. */
function exitOf(child) {
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((_, reject) =>
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output.slice(-500)}`))),
  );
  exited.catch(() => {}); // stopping the child at the end is no failure
  return exited;
}

/** Resolves once the child's stdout so far matches `pattern`. */
const lineMatching = (child, pattern) =>
  new Promise((resolve) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (pattern.test(output)) {
        resolve();
      }
    });
  });

async function firstReady(url) {
  for (;;) {
    const res = await fetch(`${url}/health/ready`).catch(() => undefined);
    if (res?.status === 200) {
      return;
    }
    await sleep(POLL_MS);
  }
}

/** One start: ms from spawn to listening and to ready, and CPU ms used by ready. */
async function startOnce(target, options, redis) {
  const port = await freePort();
  const spec = launchSpec(target, {
    node: options.node,
    redisUrl: usesRedis(target) ? redis.url : undefined,
    prefix: `startup-${target}-${port}`,
    env: { PORT: String(port) },
  });
  const started = performance.now();
  const child = spawn(spec.command, spec.args, {
    ...spec.options,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = exitOf(child);
  try {
    const listening = lineMatching(child, spec.ready).then(() => performance.now() - started);
    const ready = target === 'bare' ? listening : firstReady(`http://127.0.0.1:${port}`);
    await Promise.race([ready, exited]);
    const readyMs = performance.now() - started;
    return {
      listeningMs: await Promise.race([listening, exited]),
      readyMs: target === 'bare' ? await listening : readyMs,
      cpuMs: cpuMicros(child.pid) / 1000,
    };
  } finally {
    await stop(child);
  }
}

async function measure(target, options, redis) {
  // Not counted: a fresh build's first start fills Node's compile cache (Node ≥ 22.1).
  await startOnce(target, options, redis);
  const starts = [];
  for (let run = 0; run < options.startupRuns; run++) {
    starts.push(await startOnce(target, options, redis));
  }
  const ready = starts.map((start) => start.readyMs);
  return {
    target,
    runs: starts.length,
    listeningMs: percentile(
      starts.map((start) => start.listeningMs),
      50,
    ),
    readyMs: percentile(ready, 50),
    minMs: Math.min(...ready),
    maxMs: Math.max(...ready),
    cpuMs: percentile(
      starts.map((start) => start.cpuMs),
      50,
    ),
  };
}

export async function startupSuite(options, { redis }) {
  const rows = [];
  for (const target of options.targets) {
    console.error(`[startup] ${target}`);
    rows.push(await measureOrFail({ target }, () => measure(target, options, redis)));
  }
  const bare = rows.find((row) => row.target === 'bare') ?? {};
  for (const row of rows) {
    row.readyRatio = ratio(row.readyMs, bare.readyMs);
    row.cpuRatio = ratio(row.cpuMs, bare.cpuMs);
  }
  return {
    title: `startup: spawn → ready, median of ${options.startupRuns} starts`,
    tables: [
      {
        columns: [
          ['target', 'server'],
          ['listeningMs', 'listening ms'],
          ['readyMs', 'ready ms'],
          ['readyRatio', 'vs bare'],
          ['minMs', 'min'],
          ['maxMs', 'max'],
          ['cpuMs', 'CPU ms by ready'],
          ['cpuRatio', 'CPU vs bare'],
        ],
        rows,
      },
    ],
    notes: [
      'ready: first GET /health/ready 200 (polled every 5 ms); bare has no readiness route, so its ready is its listening line',
      'one uncounted start per server first: it fills Node’s compile cache on Node ≥ 22.1, as any restart after a deploy finds it',
      'the issue’s target: memory ready within 1 s on the project machine; the ratio to bare is the figure to compare across runs',
    ],
  };
}
