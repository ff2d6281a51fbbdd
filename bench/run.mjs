// The project's performance record: `npm run bench -- --suite heartbeat,connections ...`.
// Each suite prints markdown tables (figures and ratios against bare Socket.IO measured in
// the same run) and writes JSON to bench/results/<suite>-<timestamp>.json.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startRedisCluster } from './lib/redis-cluster.mjs';
import { publish } from './lib/report.mjs';
import { startRedis } from './lib/servers.mjs';
import { connectionsSuite } from './suites/connections.mjs';
import { fanoutSuite } from './suites/fanout.mjs';
import { heartbeatSuite } from './suites/heartbeat.mjs';
import { metadataSuite } from './suites/metadata.mjs';
import { seedsSuite } from './suites/seeds.mjs';
import { shutdownSuite } from './suites/shutdown.mjs';
import { startupSuite } from './suites/startup.mjs';

const SUITES = new Map([
  ['heartbeat', heartbeatSuite],
  ['connections', connectionsSuite],
  ['fanout', fanoutSuite],
  ['metadata', metadataSuite],
  ['seeds', seedsSuite],
  ['startup', startupSuite],
  ['shutdown', shutdownSuite],
]);
/** Suites that measure the `cluster` target (lua mode on a Redis Cluster); others skip it. */
const CLUSTER_SUITES = new Set(['heartbeat', 'fanout', 'metadata']);

const { values: flags } = parseArgs({
  options: {
    suite: { type: 'string', default: 'heartbeat' },
    targets: { type: 'string', default: 'bare,memory,lua,batched' },
    duration: { type: 'string', default: '10' },
    sockets: { type: 'string', default: '200' },
    rate: { type: 'string', default: '1000' },
    'idle-requests': { type: 'string', default: '200' },
    connections: { type: 'string', default: '5000' },
    hold: { type: 'string', default: '20' },
    'conn-interval': { type: 'string', default: '10000' },
    members: { type: 'string', default: '10,1000' },
    'fanout-deliveries': { type: 'string', default: '2000' },
    writers: { type: 'string', default: '2,8,20' },
    rooms: { type: 'string', default: '100' },
    users: { type: 'string', default: '10' },
    'seed-interval': { type: 'string', default: '5000' },
    'startup-runs': { type: 'string', default: '10' },
    'shutdown-sockets': { type: 'string', default: '10000' },
    'stuck-share': { type: 'string', default: '0.1' },
    'shutdown-grace': { type: 'string', default: '2000' },
    main: { type: 'string' },
    node: { type: 'string', default: process.env.BENCH_NODE ?? process.execPath },
    out: { type: 'string', default: fileURLToPath(new URL('results/', import.meta.url)) },
  },
});

const options = {
  targets: flags.targets.split(','),
  duration: Number(flags.duration),
  sockets: Number(flags.sockets),
  rate: Number(flags.rate),
  idleRequests: Number(flags['idle-requests']),
  connections: Number(flags.connections),
  hold: Number(flags.hold),
  connInterval: Number(flags['conn-interval']),
  members: flags.members.split(',').map(Number),
  fanoutDeliveriesPerS: Number(flags['fanout-deliveries']),
  writers: flags.writers.split(',').map(Number),
  rooms: Number(flags.rooms),
  users: Number(flags.users),
  seedInterval: Number(flags['seed-interval']),
  startupRuns: Number(flags['startup-runs']),
  shutdownSockets: Number(flags['shutdown-sockets']),
  stuckShare: Number(flags['stuck-share']),
  shutdownGrace: Number(flags['shutdown-grace']),
  /** Another build's dist/main.js, for the shutdown suite's "before" figure. */
  main: flags.main,
  node: flags.node,
};

const unknown = flags.suite.split(',').filter((name) => !SUITES.has(name));
if (unknown.length > 0) {
  console.error(`unknown suite ${unknown.join(', ')}; known: ${[...SUITES.keys()].join(', ')}`);
  process.exit(2);
}

const suites = flags.suite.split(',');
const wantsCluster =
  options.targets.includes('cluster') && suites.some((name) => CLUSTER_SUITES.has(name));
const redis = await startRedis();
let cluster;
try {
  cluster = wantsCluster ? await startRedisCluster() : undefined;
  const context = {
    options,
    machine: {
      nproc: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      benchNode: process.version,
      serverNode: execFileSync(options.node, ['--version']).toString().trim(),
      redis: redis.version,
      redisCluster: cluster && `${cluster.version}, 3 masters + 3 replicas`,
      date: new Date().toISOString(),
    },
  };
  for (const name of suites) {
    const targets = CLUSTER_SUITES.has(name)
      ? options.targets
      : options.targets.filter((target) => target !== 'cluster');
    const result = await SUITES.get(name)({ ...options, targets }, { redis, cluster });
    publish(name, result, context, flags.out);
  }
} finally {
  await Promise.all([redis.stop(), cluster?.stop()]);
}
