# syntax=docker/dockerfile:1.7
# Godel server image. Build stage: compile and `npm pack`; runtime stage: a production install of
# that tarball (exactly what test/deploy/production-install.int-spec.ts does without Docker).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && mkdir /out && npm pack --pack-destination /out && mv /out/godel-*.tgz /out/godel.tgz

FROM ${NODE_IMAGE} AS runtime
# git: worktrees and merges; bubblewrap: the agents' sandbox; tini: PID 1 that forwards SIGTERM
# (graceful shutdown drains turns and hands shards over) and reaps the agents' child processes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git bubblewrap ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 godel \
 && useradd --system --uid 10001 --gid godel --home-dir /var/lib/godel --create-home --shell /usr/sbin/nologin godel
WORKDIR /opt/godel
COPY --from=build /out/godel.tgz /tmp/godel.tgz
# The `pi` coding agent comes with the package (@mariozechner/pi-coding-agent) into node_modules/.bin.
RUN npm install --omit=dev --no-audit --no-fund /tmp/godel.tgz && rm /tmp/godel.tgz && npm cache clean --force
ENV NODE_ENV=production \
    GODEL_HOST=0.0.0.0 \
    GODEL_PORT=7373 \
    GODEL_HOME=/var/lib/godel \
    PATH=/opt/godel/node_modules/.bin:$PATH
USER 10001:10001
VOLUME ["/var/lib/godel"]
EXPOSE 7373
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:7373/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "/opt/godel/node_modules/godel/dist/apps/godel/src/main.js"]
