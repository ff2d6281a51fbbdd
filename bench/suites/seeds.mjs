// seeds: the benchmark the project started with. ROOMS × USERS sockets joined, each
// heartbeating every 5 s (every other beat changes the state), one process for bare and
// memory, two on one Redis for lua and batched: latency, Redis ops/s, memory and CPU.
import { performance } from 'node:perf_hooks';
import { measureOrFail, percentile, ratio } from '../lib/report.mjs';
import { redisDelta, startServers, usesRedis } from '../lib/servers.mjs';
import { closeAll, joinSessions, periodicHeartbeats, settledMemory } from '../lib/sessions.mjs';

async function measure(target, options, redis) {
  const servers = await startServers(target, usesRedis(target) ? 2 : 1, {
    node: options.node,
    redisUrl: usesRedis(target) ? redis.url : undefined,
    prefix: `seed-${target}-${Date.now()}`,
  });
  let sessions = [];
  try {
    sessions = await joinSessions(servers, options.rooms * options.users, options.users, 'seed');
    const cpuBefore = servers.map((server) => server.cpuUs());
    const redisBefore = await redis.reading();
    const started = performance.now();
    const run = await periodicHeartbeats(sessions, options.seedInterval, options.duration, {
      changing: true,
    });
    const elapsedS = (performance.now() - started) / 1000;
    const cpuUs = servers.reduce((sum, server, i) => sum + server.cpuUs() - cpuBefore[i], 0);
    const work = redisDelta(redisBefore, await redis.reading());
    const memory = await Promise.all(servers.map((server) => settledMemory(server, 3)));
    return {
      target,
      processes: servers.length,
      heartbeatsPerS: run.latencies.length / elapsedS,
      p50: percentile(run.latencies, 50),
      p99: percentile(run.latencies, 99),
      redisOpsPerS: usesRedis(target) ? work.total / elapsedS : null,
      redisCpuPct: usesRedis(target) ? work.cpuUs / elapsedS / 1e4 : null,
      serverCpuPct: cpuUs / elapsedS / 1e4,
      rssMiB: memory.reduce((sum, { rss }) => sum + rss, 0) / 2 ** 20,
      heapMiB: memory.reduce((sum, { heapUsed }) => sum + heapUsed, 0) / 2 ** 20,
      errors: run.errors,
    };
  } finally {
    closeAll(sessions);
    await Promise.all(servers.map((server) => server.stop()));
  }
}

export async function seedsSuite(options, { redis }) {
  const rows = [];
  for (const target of options.targets) {
    console.error(`[seeds] ${target}`);
    rows.push(await measureOrFail({ target }, () => measure(target, options, redis)));
  }
  const bare = rows.find((row) => row.target === 'bare') ?? {};
  for (const row of rows) {
    row.p99Ratio = ratio(row.p99, bare.p99);
    row.cpuRatio = ratio(row.serverCpuPct, bare.serverCpuPct);
    row.rssRatio = ratio(row.rssMiB, bare.rssMiB);
  }
  return {
    title: `seeds: ${options.rooms} rooms × ${options.users} users, a heartbeat every ${options.seedInterval} ms`,
    tables: [
      {
        caption: `Every socket heartbeats every ${options.seedInterval} ms for ${options.duration} s, every other beat changing its state; bare and memory: one process, lua and batched: two on one Redis. Latency in ms; CPU in % of one core, summed over the server processes; memory summed too.`,
        columns: [
          ['target', 'server'],
          ['processes', 'processes'],
          ['heartbeatsPerS', 'hb/s'],
          ['p50', 'p50'],
          ['p99', 'p99'],
          ['p99Ratio', 'p99 vs bare'],
          ['redisOpsPerS', 'Redis ops/s'],
          ['redisCpuPct', 'Redis CPU %'],
          ['serverCpuPct', 'server CPU %'],
          ['cpuRatio', 'vs bare'],
          ['rssMiB', 'RSS MiB'],
          ['rssRatio', 'vs bare'],
          ['heapMiB', 'heap MiB'],
          ['errors', 'errors'],
        ],
        rows,
      },
    ],
  };
}
