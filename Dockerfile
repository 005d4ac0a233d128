# syntax=docker/dockerfile:1
# The trustflow image: the worker (default command), and with another command the codec server
# (`node dist/src/codec/main.js`) and the sandbox simulators (`node dist/src/sandbox/main.js`).
# docker-compose.yml runs all three; docs/operations/production.md.
#
# glibc (Debian bookworm), not Alpine: the SDK's native core needs glibc. Node 22 LTS, pinned to an
# exact release: bump it deliberately (test/unit/deploy-files.test.ts refuses floating tags).

############################ build: compile, prebundle the workflows, drop dev dependencies
FROM node:22.23.2-bookworm-slim AS build
WORKDIR /app

# Dependencies first (cached while package*.json do not change). --ignore-scripts: the root
# package's `prepare` would run tsc before the sources are here; no dependency needs its install
# script (the SDK's core bridge and @swc/core come prebuilt for linux-x64/arm64 glibc).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

COPY tsconfig.json ./
COPY src ./src
COPY bin ./bin
COPY scripts ./scripts
# Compile, prebundle the workflow code (TRUSTFLOW_WORKFLOW_BUNDLE below), drop dev dependencies.
# Last, dist/.tsbuildinfo becomes the newest file: `npm run <script>` (scripts/run.mjs) compiles
# when it is older than its inputs, and tsc is not installed in the runtime image.
RUN npm run build \
 && node scripts/bundle-workflows.mjs dist/workflow-bundle.js \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf dist/test dist/bench \
 && touch dist/.tsbuildinfo

############################ runtime
FROM node:22.23.2-bookworm-slim
# OpenSSL 3 and gost-engine: Kazakh/Russian GOST CMS decryption and PKCS#12 (src/crypto/openssl.ts,
# src/crypto/openssl-gost-engine.ts find gost.so through `openssl version -e`; TRUSTFLOW_GOST_ENGINE_PATH overrides).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libengine-gost-openssl openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    TRUSTFLOW_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
    TRUSTFLOW_METRICS_ADDRESS=0.0.0.0:9464

WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/scripts ./scripts
# The signing page's sources: the signing server bundles them with esbuild when it starts
# (dist/src/signing-page/page-bundle.js reads ../../../src/signing-page/assets).
COPY --from=build /app/src/signing-page/assets ./src/signing-page/assets

# Writable state, owned by the unprivileged user: KPSIS artifacts and other worker state
# (/var/lib/trustflow, a volume shared by the workers in compose), the sandbox's files.
# Keys are mounted read-only at /etc/trustflow/keys.
RUN mkdir -p /var/lib/trustflow/sandbox /etc/trustflow/keys \
 && chown -R node:node /var/lib/trustflow

# The `node` user (uid 1000) of the base image. Mounted secrets and keys must be readable by it.
USER node

EXPOSE 9464 8234

# Healthy = the worker's metrics endpoint answers (TRUSTFLOW_METRICS_ADDRESS, host:port; a wildcard
# host is probed on loopback). The codec server and the sandbox override it in docker-compose.yml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "const a=process.env.TRUSTFLOW_METRICS_ADDRESS||'0.0.0.0:9464',i=a.lastIndexOf(':'),h=a.slice(0,i).replace(/^(0\.0\.0\.0|\[::\]|)$/,'127.0.0.1');fetch('http://'+h+':'+a.slice(i+1)+'/metrics',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

# Graceful stop on SIGTERM: the worker drains for up to 10 s (shutdownGraceTime) and exits by 30 s;
# give it `stop_grace_period: 30s` / `docker stop -t 30`.
CMD ["node", "dist/src/worker/main.js"]
