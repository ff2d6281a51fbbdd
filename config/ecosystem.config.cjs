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
      // SIGTERM starts the graceful stop: SHUTDOWN_GRACE_MS, then closing sockets and
      // flushing; PM2 must wait longer than that before it sends SIGKILL (its default is 1.6 s).
      kill_timeout: 8000,
      // Keep the old worker until the new one answers; `pm2 reload` then rolls workers one by one.
      wait_ready: false,
      listen_timeout: 10000,
      env: {
        NODE_ENV: 'production',
        PORT: 3000,
        REDIS_URL: 'redis://127.0.0.1:6379/0',
        SHUTDOWN_GRACE_MS: 2000,
        // Worker N serves /metrics and /stats on 9100 + N (PM2 sets NODE_APP_INSTANCE).
        METRICS_PORT: 9100,
        // AUTH_JWT_SECRET: set it in the environment PM2 runs in, not in this file.
      },
    },
  ],
};
