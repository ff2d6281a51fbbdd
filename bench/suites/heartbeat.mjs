// heartbeat: what one heartbeat costs. Closed loop (max acks/s, server CPU and Redis work
// per heartbeat), open loop at a fixed rate (p50/p99), and one request on an idle server.
import { CLUSTER_NOTE } from '../lib/redis-cluster.mjs';
import { measureOrFail, percentile, ratio, ratiosToLua } from '../lib/report.mjs';
import { redisDelta, redisOf, redisSettings, startServer, usesRedis } from '../lib/servers.mjs';
import { closeAll, closedLoop, idleLatency, joinSessions, openLoop } from '../lib/sessions.mjs';

async function measure(target, options, stores) {
  const redis = redisOf(target, stores);
  const server = await startServer(target, {
    node: options.node,
    ...redisSettings(target, stores),
    prefix: `hb-${target}-${Date.now()}`,
  });
  const sessions = await joinSessions([server], options.sockets, 10, 'hb');
  try {
    const idle = await idleLatency(sessions[0], options.idleRequests);
    const cpuBefore = server.cpuUs();
    const redisBefore = usesRedis(target) ? await redis.reading() : undefined;
    const closed = await closedLoop(sessions, options.duration);
    const cpuUs = server.cpuUs() - cpuBefore;
    const work = redisBefore ? redisDelta(redisBefore, await redis.reading()) : undefined;
    const open = await openLoop(sessions, options.rate, options.duration);
    return {
      target,
      acksPerS: closed.acks / closed.elapsedS,
      cpuUsPerBeat: cpuUs / closed.acks,
      redisCallsPerBeat: work ? work.total / closed.acks : null,
      redisCpuUsPerBeat: work ? work.cpuUs / closed.acks : null,
      redisCommands: work?.byCommand,
      closedErrors: closed.errors,
      openP50: percentile(open.latencies, 50),
      openP99: percentile(open.latencies, 99),
      openErrors: open.errors,
      idleP50: percentile(idle, 50),
      idleP99: percentile(idle, 99),
    };
  } finally {
    closeAll(sessions);
    await server.stop();
  }
}

export async function heartbeatSuite(options, stores) {
  const withCluster = options.targets.includes('cluster');
  const rows = [];
  for (const target of options.targets) {
    console.error(`[heartbeat] ${target}`);
    rows.push(await measureOrFail({ target }, () => measure(target, options, stores)));
  }
  const bare = rows.find((row) => row.target === 'bare') ?? {};
  for (const row of rows) {
    row.acksRatio = ratio(row.acksPerS, bare.acksPerS);
    row.cpuRatio = ratio(row.cpuUsPerBeat, bare.cpuUsPerBeat);
    row.openP99Ratio = ratio(row.openP99, bare.openP99);
    row.idleP50Ratio = ratio(row.idleP50, bare.idleP50);
  }
  if (withCluster) {
    ratiosToLua(rows, ['acksPerS', 'redisCpuUsPerBeat', 'openP99']);
  }
  return {
    title: 'heartbeat: cost and latency of one unchanged heartbeat (one server process)',
    tables: [
      {
        caption: `Closed loop: ${options.sockets} sockets, each sends its next heartbeat when the last ack arrives, ${options.duration} s.`,
        columns: [
          ['target', 'server'],
          ['acksPerS', 'acks/s'],
          ['acksRatio', 'vs bare'],
          ...(withCluster ? [['acksPerSVsLua', 'vs lua']] : []),
          ['cpuUsPerBeat', 'server CPU µs/hb'],
          ['cpuRatio', 'vs bare'],
          ['redisCallsPerBeat', 'Redis calls/hb'],
          ['redisCpuUsPerBeat', 'Redis CPU µs/hb'],
          ...(withCluster ? [['redisCpuUsPerBeatVsLua', 'vs lua']] : []),
          ['closedErrors', 'errors'],
        ],
        rows,
      },
      {
        caption: `Open loop: ${options.rate} heartbeats/s for ${options.duration} s (latency from when each was due, ms); idle: ${options.idleRequests} heartbeats one at a time (ms).`,
        columns: [
          ['target', 'server'],
          ['openP50', 'p50'],
          ['openP99', 'p99'],
          ['openP99Ratio', 'p99 vs bare'],
          ...(withCluster ? [['openP99VsLua', 'p99 vs lua']] : []),
          ['openErrors', 'errors'],
          ['idleP50', 'idle p50'],
          ['idleP99', 'idle p99'],
          ['idleP50Ratio', 'idle p50 vs bare'],
        ],
        rows,
      },
    ],
    notes: [
      'Redis calls count every command Redis ran (those inside scripts included, INFO excluded); Redis CPU is used_cpu_sys + used_cpu_user from INFO cpu.',
      'Server CPU is utime + stime from /proc/<pid>/stat of the server process; the load generator runs on the same machine.',
      ...(withCluster ? [CLUSTER_NOTE] : []),
    ],
  };
}
