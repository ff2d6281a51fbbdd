// The container's HEALTHCHECK (Dockerfile): exit 0 when GET /health/ready answers 200 on
// this container's PORT, 1 otherwise (503 while starting, Redis away or shutting down).
// Plain Node, so the slim image needs no curl.
const port = process.env.PORT ?? '3000';
const TIMEOUT_MS = 2000;

try {
  const res = await fetch(`http://127.0.0.1:${port}/health/ready`, {
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  process.exit(res.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
