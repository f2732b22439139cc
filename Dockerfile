# Leadbridge image, two stages. Build: every dependency, `npm run build` (server to dist/, plus any front-end build
# that package.json's `build` chain runs). Run: Node 20 slim with production dependencies and dist/ only, no tsx and
# no TypeScript. Not built in this project's CI (no Docker engine there; `docker-compose config` only): README "Deploying".
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the build) runs below, once the sources are in.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 LEADBRIDGE_DATA_DIR=/app/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY drizzle ./drizzle
COPY presets ./presets
COPY leadbridge.yaml ./
# The data directory (embedded database when DATABASE_URL is unset, emulator state, webhook journal, the sandbox's
# admin-token file), owned by `node` before VOLUME: a new named volume is created with this owner and mode.
RUN mkdir -p /app/data && chown node:node /app/data && chmod 0700 /app/data
VOLUME /app/data
# 8000 the API; 8001 the sandbox's amoCRM emulator (only without amoCRM credentials; set LEADBRIDGE_EMULATOR_HOST=0.0.0.0
# to reach it from outside the container, as docker-compose.yml does).
EXPOSE 8000 8001
USER node
# No curl in the slim image: Node's fetch. PORT is the server's own setting.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
