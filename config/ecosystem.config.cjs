// PM2, cluster mode: `pm2 start config/ecosystem.config.cjs` (after `npm ci && npm run build`).
// Several workers must share state, so REDIS_URL is required here. PM2 spreads connections
// over workers without sticky sessions: clients must use the websocket transport only.
module.exports = {
  apps: [
    {
      name: 'avalon-realtime',
      script: 'dist/main.js',
      exec_mode: 'cluster',
      instances: 2,
      // PM2 stops a worker with SIGINT (the server treats it as SIGTERM): `server:shutdown`,
      // SHUTDOWN_GRACE_MS of service, then at most SHUTDOWN_CLOSE_TIMEOUT_MS to close every
      // socket (stuck ones terminated), flush and QUIT Redis: the worker exits 0 by itself
      // within 2 s + 0.8 s whatever its clients do (test/e2e/supervisor-pm2.e2e-spec.ts:
      // 1.4–1.6 s with a 1 s grace and frozen clients). kill_timeout is only the backstop for a
      // hung worker; keep it above grace + close timeout with a margin (PM2's default of
      // 1.6 s would SIGKILL every graceful stop), and raise it with SHUTDOWN_GRACE_MS.
      kill_timeout: 8000,
      // `pm2 reload` rolls workers one by one: it starts the new worker and stops the old one
      // when the new one listens (the server listens once Nest has started; it does not send
      // the 'ready' message wait_ready would wait for). listen_timeout: PM2 stops the old
      // worker anyway if the new one is not listening by then.
      wait_ready: false,
      listen_timeout: 10000,
      env: {
        NODE_ENV: 'production',
        PORT: 3000,
        REDIS_URL: 'redis://127.0.0.1:6379/0',
        SHUTDOWN_GRACE_MS: 2000,
        SHUTDOWN_CLOSE_TIMEOUT_MS: 800,
        // Worker N serves /metrics and /stats on 9100 + N (PM2 sets NODE_APP_INSTANCE).
        METRICS_PORT: 9100,
        // AUTH_JWT_SECRET: set it in the environment PM2 runs in, not in this file.
      },
    },
  ],
};
