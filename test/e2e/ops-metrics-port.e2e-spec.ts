import { AppProcess } from '../support/app.js';
import { freePort } from '../support/redis-server.js';

describe('METRICS_PORT', () => {
  let app: AppProcess;
  let metricsPort: number;

  beforeAll(async () => {
    metricsPort = await freePort();
    // As PM2 worker 0: the worker's port is METRICS_PORT + NODE_APP_INSTANCE.
    app = await AppProcess.start({
      env: { METRICS_PORT: String(metricsPort), NODE_APP_INSTANCE: '0' },
    });
  });

  afterAll(async () => {
    await app.kill('SIGTERM');
  });

  it('moves /metrics and /stats to the internal port', async () => {
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toContain('realtime_connections ');
    const stats = await fetch(`http://127.0.0.1:${metricsPort}/stats`);
    expect(await stats.json()).toMatchObject({ connections: 0, rooms: 0 });
  });

  it('answers 404 for them on the public port, which keeps serving health', async () => {
    expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${app.url}/stats`)).status).toBe(404);
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
  });
});
