# The relay and the reference workers share this image: the relay is its CMD, the workers run
# with `node dist/workers/main.js` (see docker-compose.yml). scripts/image-stages.sh repeats
# these stages by hand where there is no Docker engine.

# Build: every dependency (esbuild is a dev dependency), then dist/, then only what runs.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No scripts: `prepare` would build before src/ is here (dependencies have none they need).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Run: production dependencies and dist/ only, owned by root and run by the unprivileged user
# `node`. node is PID 1 and handles SIGTERM itself (drain, then exit).
FROM node:24-slim
ENV NODE_ENV=production
# As npm start: glibc hands blocks of 128 KiB and more back to the system when they are freed.
ENV MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The node flags and environment are npm start's (package.json), checked by test/unit/build-dist.test.ts.
CMD ["node", "--max-semi-space-size=4", "dist/main.js"]
