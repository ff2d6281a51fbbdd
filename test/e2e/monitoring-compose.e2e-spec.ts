import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { AppProcess } from '../support/app.js';
import { freePort } from '../support/redis-server.js';
import {
  DASHBOARD_FILE,
  SCRAPE_CONFIG_FILE,
  composeBytes,
  readRepoFile,
  readYaml,
  repoPath,
  ruleList,
} from './monitoring-helpers.js';

/** docker-compose.yml, checked without Docker (none runs here): structure and references. */

interface Service {
  image?: string;
  build?: string;
  command?: string | string[];
  environment?: Record<string, string>;
  expose?: string[];
  ports?: string[];
  volumes?: string[];
  configs?: { source: string; target: string }[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { resources?: { limits?: { memory?: string } } };
}

interface Compose {
  services: Record<string, Service>;
  configs?: Record<string, { content?: string }>;
}

const compose = readYaml<Compose>('docker-compose.yml');
const services = compose.services;
const REPLICAS = ['app1', 'app2'];

/** A bind mount `./host:container[:mode]`. */
const mounts = (service: Service) =>
  (service.volumes ?? []).map((volume) => {
    const [host, container, mode] = volume.split(':');
    return { host, container, mode };
  });

/** The repository path (relative, normalized) a container path of `service` is mounted from. */
function repoFileAt(service: Service, containerPath: string): string | undefined {
  for (const { host, container } of mounts(service)) {
    const inside = posix.relative(container, containerPath);
    if (inside === '' || (!inside.startsWith('..') && !posix.isAbsolute(inside))) {
      return posix.join(host, inside);
    }
  }
  return undefined;
}

const commandText = (service: Service): string =>
  Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '');

/** The prefix (-p) and configuration file (-c) the nginx container starts nginx with. */
function nginxStart(): { prefix: string; config: string } {
  const [, prefix, config] = /nginx -p (\S+) -c (\S+)/.exec(commandText(services.nginx)) ?? [];
  return { prefix, config };
}

describe('docker-compose.yml', () => {
  it('runs Redis, two server replicas, nginx, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['app1', 'app2', 'grafana', 'nginx', 'prometheus', 'redis'].sort(),
    );
    for (const name of REPLICAS) {
      expect([name, services[name].build]).toEqual([name, '.']);
      expect(services[name].environment).toEqual(
        expect.objectContaining({
          REDIS_URL: 'redis://redis:6379/0',
          AUTH_JWT_SECRET: expect.stringContaining('AUTH_JWT_SECRET:?'),
          TRUST_PROXY: '1',
        }),
      );
      expect(services[name].depends_on?.redis).toEqual({ condition: 'service_healthy' });
    }
  });

  it('mounts files and folders of the repository that exist, read-only', () => {
    const all = Object.entries(services).flatMap(([name, s]) =>
      mounts(s).map((m) => ({ name, ...m })),
    );
    expect(all.length).toBeGreaterThanOrEqual(5);
    for (const { name, host, mode } of all) {
      expect([name, host, host.startsWith('./'), existsSync(repoPath(host)), mode]).toEqual([
        name,
        host,
        true,
        true,
        'ro',
      ]);
    }
  });

  it('health-checks each replica as the image does: GET /health/ready', () => {
    const dockerfile = readRepoFile('Dockerfile');
    const imageCheck = /HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])/.exec(dockerfile)?.[1];
    for (const name of REPLICAS) {
      expect(['CMD', ...JSON.parse(imageCheck ?? '[]')]).toEqual(services[name].healthcheck?.test);
    }
    expect(readRepoFile('src/health/healthcheck.ts')).toContain('/health/ready');
    // nginx takes traffic only once both replicas are ready
    expect(services.nginx.depends_on).toEqual({
      app1: { condition: 'service_healthy' },
      app2: { condition: 'service_healthy' },
    });
    for (const [name, service] of Object.entries(services)) {
      expect([name, service.healthcheck?.test.length]).toEqual([name, expect.any(Number)]);
    }
  });

  it("runs the replicas' health check for real: exit 0 on a ready server, 1 where none answers", async () => {
    const [, script] = services.app1.healthcheck?.test.slice(1) ?? [];
    const run = (port: number) =>
      new Promise<number>((resolve) => {
        execFile(process.execPath, [repoPath(script)], { env: { PORT: String(port) } }, (err) =>
          resolve(err ? Number(err.code) : 0),
        );
      });
    const app = await AppProcess.start();
    try {
      expect(await run(app.port)).toBe(0);
      expect(await run(await freePort())).toBe(1);
    } finally {
      await app.kill();
    }
  });

  it('publishes only nginx, Prometheus and Grafana; Prometheus scrapes each replica on METRICS_PORT', () => {
    for (const name of REPLICAS) {
      const port = services[name].environment?.METRICS_PORT ?? '';
      expect([name, services[name].ports, services[name].expose]).toEqual([
        name,
        undefined,
        expect.arrayContaining(['3000', port]),
      ]);
    }
    expect(services.nginx.ports).toEqual(['8080:8080']);
    expect(readRepoFile('config/nginx/listen.conf')).toMatch(/^\s*listen 8080;/m);
    const scrape = readYaml<{ scrape_configs: { static_configs: { targets: string[] }[] }[] }>(
      SCRAPE_CONFIG_FILE,
    );
    expect(
      scrape.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets)),
    ).toEqual(REPLICAS.map((name) => `${name}:${services[name].environment?.METRICS_PORT}`));
    // the config file Prometheus is started with is the shipped one
    const configFlag = /--config\.file=(\S+)/.exec(commandText(services.prometheus))?.[1] ?? '';
    expect(repoFileAt(services.prometheus, configFlag)).toBe(SCRAPE_CONFIG_FILE);
  });

  it('gives nginx the two replicas on port 3000, where config/nginx.conf reads its process list', () => {
    const backends = services.nginx.configs?.find((c) => c.source === 'nginx-backends');
    const content = compose.configs?.['nginx-backends'].content ?? '';
    expect([...content.matchAll(/^server (\S+)/gm)].map((m) => m[1])).toEqual([
      'app1:3000',
      'app2:3000',
    ]);
    const configFile = nginxStart().config;
    expect(repoFileAt(services.nginx, configFile)).toBe('config/nginx.conf');
    const includes = [...readRepoFile('config/nginx.conf').matchAll(/include (\S+);/g)].map((m) =>
      posix.join(posix.dirname(configFile), m[1]),
    );
    expect(includes).toEqual(expect.arrayContaining([backends?.target]));
  });

  it('nginx -t accepts the configuration laid out as the nginx container sees it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'avalon-compose-nginx-'));
    try {
      for (const { host, container } of mounts(services.nginx)) {
        mkdirSync(dirname(join(root, container)), { recursive: true });
        copyFileSync(repoPath(host), join(root, container));
      }
      // the process list, with the replicas' names on this machine's loopback
      for (const { source, target } of services.nginx.configs ?? []) {
        mkdirSync(dirname(join(root, target)), { recursive: true });
        const content = compose.configs?.[source].content ?? '';
        writeFileSync(join(root, target), content.replace(/app[12]:3000/g, '127.0.0.1:3000'));
      }
      const prefix = join(root, nginxStart().prefix);
      mkdirSync(join(prefix, 'logs'), { recursive: true });
      mkdirSync(join(prefix, 'temp'), { recursive: true });
      const config = join(root, nginxStart().config);
      const result = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile('nginx', ['-t', '-p', prefix, '-c', config], (err, stdout, stderr) =>
          resolve({ code: err ? Number(err.code) : 0, output: `${stdout}${stderr}` }),
        );
      });
      expect([result.code, result.output]).toEqual([
        0,
        expect.stringContaining('test is successful'),
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('provisions Grafana with the Prometheus datasource and the avalon-realtime dashboard', () => {
    const grafana = services.grafana;
    const datasources = readYaml<{ datasources: { uid: string; type: string; url: string }[] }>(
      'config/grafana/provisioning/datasources/prometheus.yml',
    ).datasources;
    expect(datasources).toEqual([
      expect.objectContaining({
        uid: 'prometheus',
        type: 'prometheus',
        url: 'http://prometheus:9090',
      }),
    ]);
    expect(services.prometheus.ports).toEqual(['127.0.0.1:9090:9090']);
    const provider = readYaml<{ providers: { options: { path: string } }[] }>(
      'config/grafana/provisioning/dashboards/avalon-realtime.yml',
    ).providers[0];
    expect(repoFileAt(grafana, `${provider.options.path}/avalon-realtime.json`)).toBe(
      DASHBOARD_FILE,
    );
    expect(repoFileAt(grafana, '/etc/grafana/provisioning/datasources/prometheus.yml')).toBe(
      'config/grafana/provisioning/datasources/prometheus.yml',
    );
    const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    expect(repoFileAt(grafana, home)).toBe(DASHBOARD_FILE);

    const dashboard = JSON.parse(readRepoFile(DASHBOARD_FILE)) as {
      uid: string;
      panels: { id: number; datasource?: { uid: string } }[];
      templating: { list: { name: string; current: { value: string } }[] };
    };
    expect(dashboard.uid).toBe('avalon-realtime');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const variable = dashboard.templating.list.find((v) => v.name === 'datasource');
    expect(variable?.current.value).toBe(datasources[0].uid);
    for (const panel of dashboard.panels.filter((p) => p.datasource)) {
      expect([panel.id, panel.datasource?.uid]).toEqual([panel.id, '${datasource}']);
    }
  });

  it('limits each replica to the memory the memory alert reads', () => {
    const limitRule = ruleList().find((r) => r.record === 'avalon:process_memory_limit_bytes');
    const ruleBytes = Number(/vector\((\d+)\)/.exec(limitRule?.expr ?? '')?.[1]);
    for (const name of REPLICAS) {
      const memory = services[name].deploy?.resources?.limits?.memory ?? '';
      expect([name, composeBytes(memory)]).toEqual([name, ruleBytes]);
    }
  });
});
