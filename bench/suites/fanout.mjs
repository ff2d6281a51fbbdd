// fanout: room:message delivery latency to every member of one room, with all members on
// one process and split over two processes (Redis), against bare Socket.IO doing the same.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLUSTER_NOTE } from '../lib/redis-cluster.mjs';
import { measureOrFail, percentile, ratio, ratiosToLua } from '../lib/report.mjs';
import { redisDelta, redisOf, redisSettings, startServers, usesRedis } from '../lib/servers.mjs';
import { closeAll, ErrorTally, joinSessions } from '../lib/sessions.mjs';

// Members do not heartbeat here: sessions and transport pings long enough that a slow
// join of 1,000 members on a loaded machine expires no one before the messages are sent.
const LONG_SESSIONS = {
  PRESENCE_TTL_MS: '600000',
  SOCKET_PING_INTERVAL_MS: '120000',
  SOCKET_PING_TIMEOUT_MS: '120000',
};

/** The deliveries one sender's messages reach, timed at each receiver. */
function listen(receivers, sentAt) {
  const deliveries = [];
  const lastArrival = new Map();
  const arrived = new Map();
  for (const { socket } of receivers) {
    socket.on('room:message', ({ data }) => {
      const ms = performance.now() - sentAt.get(data.seq);
      deliveries.push(ms);
      lastArrival.set(data.seq, ms);
      arrived.set(data.seq, (arrived.get(data.seq) ?? 0) + 1);
    });
  }
  return { deliveries, lastArrival, arrived };
}

async function measure(target, processes, members, options, stores) {
  const twoProcessBare = target === 'bare' && processes > 1;
  const redis = usesRedis(target) || twoProcessBare ? redisOf(target, stores) : undefined;
  const servers = await startServers(target, processes, {
    node: options.node,
    ...(twoProcessBare ? { redisUrl: redis.url } : redisSettings(target, stores)),
    prefix: `fan-${target}-${Date.now()}`,
    env: LONG_SESSIONS,
  });
  let sessions = [];
  try {
    sessions = await joinSessions(servers, members, members, `fan${members}`);
    const [sender, ...receivers] = sessions;
    const sentAt = new Map();
    const seen = listen(receivers, sentAt);
    const rate = Math.min(20, options.fanoutDeliveriesPerS / receivers.length);
    const count = Math.max(1, Math.round(rate * options.duration));
    const cpuBefore = servers.map((server) => server.cpuUs());
    const redisBefore = await redis?.reading();
    const errors = new ErrorTally();
    for (let seq = 0; seq < count; seq++) {
      sentAt.set(seq, performance.now());
      const ack = await sender.socket.request('room:message', {
        roomId: sender.roomId,
        data: { seq },
      });
      errors.add(ack);
      await sleep(Math.max(0, 1000 / rate - (performance.now() - sentAt.get(seq))));
    }
    const expected = count * receivers.length;
    for (let waited = 0; seen.deliveries.length < expected && waited < 5000; waited += 50) {
      await sleep(50);
    }
    const cpuUs = servers.reduce((sum, server, i) => sum + server.cpuUs() - cpuBefore[i], 0);
    const work = redis && redisDelta(redisBefore, await redis.reading());
    return {
      target,
      processes,
      members,
      messages: count,
      deliveryP50: percentile(seen.deliveries, 50),
      deliveryP99: percentile(seen.deliveries, 99),
      allP50: percentile([...seen.lastArrival.values()], 50),
      allP99: percentile([...seen.lastArrival.values()], 99),
      cpuUsPerDelivery: cpuUs / Math.max(1, seen.deliveries.length),
      redisCpuUsPerMessage: work ? work.cpuUs / count : null,
      missing: expected - seen.deliveries.length,
      errors,
    };
  } finally {
    closeAll(sessions);
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** Shown when the run has the cluster target: against lua on one Redis, and Redis's CPU. */
const CLUSTER_COLUMNS = [
  ['cpuUsPerDeliveryVsLua', 'vs lua'],
  ['redisCpuUsPerMessage', 'Redis CPU µs/message'],
  ['redisCpuUsPerMessageVsLua', 'vs lua'],
];

export async function fanoutSuite(options, stores) {
  const withCluster = options.targets.includes('cluster');
  const rows = [];
  for (const members of options.members) {
    for (const processes of [1, 2]) {
      const targets = options.targets.filter(
        (t) => processes === 1 || t === 'bare' || usesRedis(t),
      );
      const group = [];
      for (const target of targets) {
        console.error(`[fanout] ${members} members, ${processes} process(es), ${target}`);
        group.push(
          await measureOrFail({ target, processes, members }, () =>
            measure(target, processes, members, options, stores),
          ),
        );
      }
      const bare = group.find((row) => row.target === 'bare') ?? {};
      for (const row of group) {
        row.allP99Ratio = ratio(row.allP99, bare.allP99);
        row.cpuRatio = ratio(row.cpuUsPerDelivery, bare.cpuUsPerDelivery);
      }
      if (withCluster) {
        ratiosToLua(group, ['allP99', 'cpuUsPerDelivery', 'redisCpuUsPerMessage']);
      }
      rows.push(...group);
    }
  }
  return {
    title: 'fanout: room:message delivered to every member',
    tables: [
      {
        caption: `One member sends room:message (at most 20/s, about ${options.fanoutDeliveriesPerS} deliveries/s) for ${options.duration} s; latency (ms) from send to each delivery, and to the last member of each message ("all"); CPU is every server process's, per delivery. Two processes: members alternate between them (bare: Socket.IO's Redis adapter).`,
        columns: [
          ['members', 'members'],
          ['processes', 'processes'],
          ['target', 'server'],
          ['messages', 'messages'],
          ['deliveryP50', 'p50'],
          ['deliveryP99', 'p99'],
          ['allP50', 'all p50'],
          ['allP99', 'all p99'],
          ['allP99Ratio', 'all p99 vs bare'],
          ...(withCluster ? [['allP99VsLua', 'all p99 vs lua']] : []),
          ['cpuUsPerDelivery', 'CPU µs/delivery'],
          ['cpuRatio', 'vs bare'],
          ...(withCluster ? CLUSTER_COLUMNS : []),
          ['missing', 'missing'],
          ['errors', 'errors'],
        ],
        rows,
      },
    ],
    notes: withCluster ? [CLUSTER_NOTE] : undefined,
  };
}
