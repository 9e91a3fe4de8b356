# The gateway image: builds the TypeScript and libopus (through @discordjs/opus) in a build stage,
# ships only the runtime files.
# The active Node.js LTS (26 since October 2026).
FROM node:26-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:26-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY prompts ./prompts
# The built-in conference mapper's PIN store (MAPPER_DATA_DIR=data): keep it on a volume so meeting
# PINs survive a new container.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME /app/data
USER node
# HTTP API (health, stats, metrics) on 8788, the dial-in endpoints Jitsi Meet reads on 8790;
# media ports are JIGASI_PORT_MIN..JIGASI_PORT_MAX/udp.
EXPOSE 8788 8790
CMD ["node", "dist/main.js"]
