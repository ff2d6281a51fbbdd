# Production runtime: Node 24 LTS (Node 20 is end of life). Development machines may run
# Node ≥ 20.19; CI runs the tests on both (.ci/run).

# Build stage: full dependencies, compile TypeScript and copy the Lua scripts.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/client/package.json ./packages/client/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY packages/client/tsconfig.json ./packages/client/
COPY packages/client/src ./packages/client/src
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies and the build output only, as a non-root user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    NODE_COMPILE_CACHE=/app/.compile-cache
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
# The server imports the wire protocol from the client SDK (a workspace, linked in node_modules).
COPY --from=build /app/packages/client/package.json ./packages/client/
COPY --from=build /app/packages/client/dist ./packages/client/dist
COPY --from=build /app/dist ./dist
# Fill Node's compile cache at build time (loading the app without starting it), so even a
# container's first start skips compiling Nest, socket.io and the rest (≈ 0.3 s).
RUN node dist/compile-cache-warm.js && chown -R node:node /app/.compile-cache
USER node
EXPOSE 3000
# Ready = engines and storage connections up and not shutting down (GET /health/ready).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "dist/health/healthcheck.js"]
# Exec form: node is PID 1 and gets SIGTERM directly, so shutdown is graceful.
CMD ["node", "dist/main.js"]
