// The `cluster` target's Redis: a real Redis Cluster of 3 masters with one replica each on
// loopback (redis-server and `redis-cli --cluster create`, as test/support/redis-cluster.ts
// makes it), with the same readings as one redis-server, summed over the masters.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, redisReading, startProcess, stop } from './servers.mjs';

const run = promisify(execFile);
const MASTERS = 3;

// A node timeout far above the loaded machine's stalls: the bench wants no failover.
const NODE_ARGS = ['--cluster-enabled', 'yes', '--cluster-node-timeout', '15000'];

/** One cluster node on a free port, in its own folder (each keeps a nodes.conf). */
async function startNode() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-'));
  const { child } = await startProcess(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      ...NODE_ARGS,
    ],
    { env: { PATH: process.env.PATH } },
    /Ready to accept connections/,
  );
  return {
    port,
    async stop() {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const cli = async (port, ...args) => (await run('redis-cli', ['-p', String(port), ...args])).stdout;

/** Ports of the masters, once every node says cluster_state:ok and each master has its replica. */
async function waitForMasters(nodes) {
  for (let tries = 0; tries < 200; tries++) {
    const states = await Promise.all(nodes.map((node) => cli(node.port, 'CLUSTER', 'INFO')));
    const roles = await Promise.all(nodes.map((node) => cli(node.port, 'INFO', 'replication')));
    const masters = nodes.filter((node, i) =>
      /role:master[\s\S]*connected_slaves:1/.test(roles[i]),
    );
    if (states.every((info) => /cluster_state:ok/.test(info)) && masters.length === MASTERS) {
      return masters.map((node) => node.port);
    }
    await sleep(100); // polling processes: there is no event to await
  }
  throw new Error('the Redis Cluster did not become healthy');
}

/** Starts the cluster; resolves with its seeds, readings summed over the masters, and stop(). */
export async function startRedisCluster() {
  const nodes = await Promise.all(Array.from({ length: MASTERS * 2 }, startNode));
  const seeds = nodes.map((node) => `127.0.0.1:${node.port}`).join(',');
  const stopAll = () => Promise.all(nodes.map((node) => node.stop()));
  let clients = [];
  try {
    await run('redis-cli', [
      '--cluster',
      'create',
      ...seeds.split(','),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    const masters = await waitForMasters(nodes);
    clients = masters.map((port) => new Redis({ port, host: '127.0.0.1' }));
    const version = /redis_version:(\S+)/.exec(await clients[0].info('server'))[1];
    return {
      seeds,
      version,
      /** Commands and CPU µs summed over the masters (replicas' copies of writes left out). */
      reading: async () => sumReadings(await Promise.all(clients.map(redisReading))),
      async stop() {
        await Promise.all(clients.map((client) => client.quit()));
        await stopAll();
      },
    };
  } catch (error) {
    clients.forEach((client) => client.disconnect());
    await stopAll();
    throw error;
  }
}

function sumReadings(readings) {
  const calls = {};
  for (const reading of readings) {
    for (const [name, count] of Object.entries(reading.calls)) {
      calls[name] = (calls[name] ?? 0) + count;
    }
  }
  return { calls, cpuUs: readings.reduce((sum, reading) => sum + reading.cpuUs, 0) };
}

/** The note a suite prints when the run has the cluster target. */
export const CLUSTER_NOTE =
  'cluster: the server in lua heartbeat mode on a Redis Cluster of 3 masters with one replica each, started by the bench; its Redis figures are summed over the masters (replicas left out). "vs lua" compares with lua mode on one redis-server, measured in the same run.';
