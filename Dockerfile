# Leadbridge image, two stages. Build: every dependency, `npm run build` (server to dist/, plus any front-end build
# that package.json's `build` chain runs). Run: Node 20 slim with production dependencies and dist/ only, no tsx and
# no TypeScript. Not built in this project's CI (no Docker engine there): see README "Deploying".
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the build) runs below, once the sources are in.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY drizzle ./drizzle
COPY presets ./presets
COPY leadbridge.yaml ./
# Embedded database and emulator state live here when DATABASE_URL is unset.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME /app/data
EXPOSE 8000
USER node
CMD ["node", "--enable-source-maps", "dist/main.js"]
