import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { RedisServer } from './redis-server.js';

const run = promisify(execFile);

/** How long a master may be unreachable before its replica takes over (ms). */
const NODE_TIMEOUT_MS = 1000;

/** A node of the cluster as CLUSTER NODES describes it. */
export interface ClusterNode {
  id: string;
  port: number;
  role: 'master' | 'slave';
  /** Slot ranges a master serves, e.g. ['0-5460']. */
  slots: string[];
  failed: boolean;
}

/**
 * A real Redis Cluster on loopback: `masters` masters with one replica each, made by
 * redis-server and `redis-cli --cluster create`, on free ports; stop() ends every node.
 */
export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  static async start(masters = 3): Promise<RedisCluster> {
    const clusterArgs = [
      ...['--cluster-enabled', 'yes', '--cluster-node-timeout', String(NODE_TIMEOUT_MS)],
      // A replica with old data may still take over: tests kill masters on purpose.
      ...['--cluster-replica-validity-factor', '0', '--cluster-require-full-coverage', 'no'],
      ...['--cluster-allow-reads-when-down', 'no'],
    ];
    const nodes = await Promise.all(
      Array.from({ length: masters * 2 }, () => RedisServer.start({ args: clusterArgs })),
    );
    const cluster = new RedisCluster(nodes);
    try {
      const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
      await run('redis-cli', [
        ...['--cluster', 'create', ...addresses],
        ...['--cluster-replicas', '1', '--cluster-yes'],
      ]);
      await cluster.waitUntilHealthy();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** `REDIS_CLUSTER_NODES` for a server: every node as a seed. */
  get seeds(): string {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',');
  }

  /** Runs one redis-cli command against a node, and returns its output. */
  async cli(port: number, ...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-p', String(port), ...args]);
    return stdout;
  }

  /** The topology as one live node sees it. */
  async topology(): Promise<ClusterNode[]> {
    for (const node of this.nodes) {
      try {
        return parseClusterNodes(await this.cli(node.port, 'CLUSTER', 'NODES'));
      } catch {
        continue; // that node is down: ask another
      }
    }
    throw new Error('no cluster node answers');
  }

  /** The master serving `slot`. */
  async masterOf(slot: number): Promise<ClusterNode> {
    const found = (await this.topology()).find(
      (node) => node.role === 'master' && !node.failed && node.slots.some((r) => inRange(slot, r)),
    );
    if (!found) {
      throw new Error(`no master serves slot ${slot}`);
    }
    return found;
  }

  server(port: number): RedisServer {
    const found = this.nodes.find((node) => node.port === port);
    if (!found) {
      throw new Error(`no node on port ${port}`);
    }
    return found;
  }

  /**
   * Moves one slot from one master to another the way `redis-cli --cluster reshard` does:
   * IMPORTING/MIGRATING, MIGRATE of its keys a few at a time (clients meanwhile get ASK
   * and TRYAGAIN), then the new owner announced to every master.
   */
  async migrateSlot(slot: number, from: ClusterNode, to: ClusterNode): Promise<void> {
    const s = String(slot);
    await this.cli(to.port, 'CLUSTER', 'SETSLOT', s, 'IMPORTING', from.id);
    await this.cli(from.port, 'CLUSTER', 'SETSLOT', s, 'MIGRATING', to.id);
    for (;;) {
      const keys = (await this.cli(from.port, 'CLUSTER', 'GETKEYSINSLOT', s, '1'))
        .split('\n')
        .filter(Boolean);
      if (keys.length === 0) {
        break;
      }
      const migrate = ['MIGRATE', '127.0.0.1', String(to.port), '', '0', '5000', 'KEYS'];
      await this.cli(from.port, ...migrate, ...keys);
    }
    const masters = (await this.topology()).filter((n) => n.role === 'master' && !n.failed);
    for (const master of [to, from, ...masters]) {
      await this.cli(master.port, 'CLUSTER', 'SETSLOT', s, 'NODE', to.id);
    }
  }

  /** Resolves once every live node reports cluster_state:ok and agrees on the masters. */
  async waitUntilHealthy(timeoutMs = 20_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (await this.healthy()) {
        return;
      }
      if (Date.now() > until) {
        throw new Error('the cluster did not become healthy');
      }
      await new Promise((resolve) => setTimeout(resolve, 100)); // polling a process: no event
    }
  }

  /** A client on the cluster, for tests that look at keys directly. */
  client(): Redis {
    const [first] = this.nodes;
    return new Redis({ port: first.port, host: '127.0.0.1', lazyConnect: true });
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }

  private async healthy(): Promise<boolean> {
    const live = this.nodes.filter((node) => node.running);
    const views = await Promise.all(
      live.map(async (node) => {
        try {
          return await this.cli(node.port, 'CLUSTER', 'INFO');
        } catch {
          return '';
        }
      }),
    );
    return views.every((info) => /cluster_state:ok/.test(info));
  }
}

const inRange = (slot: number, range: string): boolean => {
  const [from, to = from] = range.split('-').map(Number);
  return slot >= from && slot <= to;
};

/** CLUSTER NODES output, one line per node. */
export function parseClusterNodes(text: string): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, , , , , , ...slots] = line.split(' ');
      const port = Number(address.split('@')[0].split(':')[1]);
      const role = flags.includes('master') ? 'master' : 'slave';
      const failed = flags.split(',').includes('fail');
      return { id, port, role, slots: slots.filter((s) => !s.startsWith('[')), failed };
    });
}
