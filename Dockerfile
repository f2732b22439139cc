# Leadbridge image: Node 20 (>= 20.19), production dependencies only; runs the TypeScript source through tsx.
# Not built in this project's CI (no Docker engine there): see README "Deploying".
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY drizzle ./drizzle
COPY presets ./presets
COPY leadbridge.yaml tsconfig.json ./
# Embedded database and emulator state live here when DATABASE_URL is unset.
VOLUME /app/data
EXPOSE 8000
USER node
CMD ["node", "--import", "tsx", "src/main.ts"]
