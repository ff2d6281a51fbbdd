// connections: N joined sockets heartbeating every 10 s held by one process: memory per
// socket above the idle process, heartbeat latency and errors while held.
import { measureOrFail, percentile, ratio } from '../lib/report.mjs';
import { startServer, usesRedis } from '../lib/servers.mjs';
import {
  closeAll,
  ErrorTally,
  generatorDelay,
  joinSessions,
  periodicHeartbeats,
  settledMemory,
} from '../lib/sessions.mjs';

async function measure(target, options, redis) {
  const server = await startServer(target, {
    node: options.node,
    redisUrl: usesRedis(target) ? redis.url : undefined,
    prefix: `conn-${target}-${Date.now()}`,
  });
  let sessions = [];
  try {
    const idle = await settledMemory(server);
    const started = performance.now();
    const refusals = new ErrorTally();
    sessions = await joinSessions([server], options.connections, 10, 'conn', refusals);
    const joinS = (performance.now() - started) / 1000;
    await server.resetLoop();
    const { result: held, ...generator } = await generatorDelay(() =>
      periodicHeartbeats(sessions, options.connInterval, options.hold),
    );
    const loop = await server.loop();
    const loaded = await settledMemory(server);
    held.errors.addCount('DISCONNECTED', sessions.filter(({ socket }) => !socket.open).length);
    return {
      target,
      sockets: sessions.length,
      joinsPerS: sessions.length / joinS,
      rssKiBPerSocket: (loaded.rss - idle.rss) / 1024 / sessions.length,
      heapKiBPerSocket: (loaded.heapUsed - idle.heapUsed) / 1024 / sessions.length,
      idleRssMiB: idle.rss / 2 ** 20,
      heartbeats: held.latencies.length,
      p50: percentile(held.latencies, 50),
      p99: percentile(held.latencies, 99),
      serverDelayP99: loop.delayP99Ms,
      serverDelayMax: loop.delayMaxMs,
      ownStallMax: loop.stalls.ownMaxMs,
      waitStallMax: loop.stalls.waitMaxMs,
      gcMaxMs: loop.gc.maxMs,
      generatorDelayP99: generator.delayP99Ms,
      generatorDelayMax: generator.delayMaxMs,
      joinRefusals: refusals,
      errors: held.errors,
    };
  } finally {
    closeAll(sessions);
    await server.stop();
  }
}

export async function connectionsSuite(options, { redis }) {
  const rows = [];
  for (const target of options.targets) {
    console.error(`[connections] ${target}`);
    rows.push(await measureOrFail({ target }, () => measure(target, options, redis)));
  }
  const bare = rows.find((row) => row.target === 'bare') ?? {};
  for (const row of rows) {
    row.rssRatio = ratio(row.rssKiBPerSocket, bare.rssKiBPerSocket);
    row.heapRatio = ratio(row.heapKiBPerSocket, bare.heapKiBPerSocket);
    row.p99Ratio = ratio(row.p99, bare.p99);
    row.serverDelayRatio = ratio(row.serverDelayP99, bare.serverDelayP99);
  }
  return {
    title: `connections: ${options.connections} joined sockets on one process`,
    tables: [
      {
        caption: `${options.connections} sockets of distinct users in rooms of 10, each heartbeating every ${options.connInterval} ms for ${options.hold} s; memory is the process's own reading above its idle figure, per socket (heap: lowest of 5 readings, closest to after a GC). Loop delays (beyond a 10 ms sampler) and GC pauses are over the heartbeating phase: the server's from a probe preloaded into each server, the generator's from its own process; a latency tail that the server's loop delay does not show comes from the generator. A server stall is split into the CPU the server burned meanwhile (its own long task or GC) and the rest (the machine gave the core to another process: the generator or a neighbour).`,
        columns: [
          ['target', 'server'],
          ['joinsPerS', 'connect+join/s'],
          ['rssKiBPerSocket', 'RSS KiB/socket'],
          ['rssRatio', 'vs bare'],
          ['heapKiBPerSocket', 'heap KiB/socket'],
          ['heapRatio', 'vs bare'],
          ['heartbeats', 'heartbeats'],
          ['p50', 'hb p50 ms'],
          ['p99', 'hb p99 ms'],
          ['p99Ratio', 'p99 vs bare'],
          ['serverDelayP99', 'server loop delay p99 ms'],
          ['serverDelayMax', 'server loop delay max ms'],
          ['ownStallMax', 'server stall max: own CPU ms'],
          ['waitStallMax', 'server stall max: waiting for a core ms'],
          ['gcMaxMs', 'longest GC pause ms'],
          ['generatorDelayP99', 'generator loop delay p99 ms'],
          ['generatorDelayMax', 'generator loop delay max ms'],
          ['joinRefusals', 'join refusals (retried)'],
          ['errors', 'hb errors'],
        ],
        rows,
      },
    ],
  };
}
