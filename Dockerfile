# syntax=docker/dockerfile:1
#
# The flexysync image: `flexysync worker` by default, any other verb as arguments
# (`docker run --rm flexysync status`, `… simulator --host 0.0.0.0`). docker-compose.yml runs it with
# Redis and the simulator; docs/operations.md is the runbook.
#
#   docker build -t flexysync .
#   docker run --rm \
#     -v "$PWD/flexysync.yaml:/etc/flexysync/flexysync.yaml:ro" \
#     -v "$PWD/secrets:/run/secrets:ro" \
#     -e REDIS_URL=redis://redis.internal:6379 -e FLEXYKEY_USERNAME=integration@example.com \
#     -e FLEXYKEY_PASSWORD_FILE=/run/secrets/flexykey-password \
#     flexysync
#
# Node 20 because it is the version flexysync is developed, tested and benchmarked on (TOOLCHAIN.md,
# package.json "engines": >=20.18.1; @types/node 20 keeps newer APIs out of the code). Node 20 is past
# its end of life: moving to Node 22 is a project decision (run the whole suite on it first), not an
# edit of this line. The tag pins the major version on Debian 12 "bookworm" (glibc: the native optional
# packages in package-lock.json — swc, the TypeScript 7 compiler, msgpackr-extract — are -gnu builds).
# For a reproducible image pin the digest too, and bump it deliberately (security fixes):
#   docker buildx imagetools inspect node:20-bookworm-slim   # prints the index digest sha256:…
#   docker build --build-arg NODE_IMAGE=node:20-bookworm-slim@sha256:<digest> -t flexysync .
ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
# build: every dependency (TypeScript is a dev dependency), then dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# A plain `npm ci` runs the `prepare` script, which is `npm run build` — before the sources are
# copied, so it would fail here. Install without scripts (the layer stays cached until the lockfile
# changes; package.json "allowScripts" turns the dependencies' install scripts off anyway) and build
# explicitly once the sources are in.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---------------------------------------------------------------------------------------------
# runtime: production dependencies only, the compiled code, no compiler, no sources, no tests.
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would try to build without TypeScript (a dev dependency).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# What package.json "files" ships: the launcher, the compiled code, the example configurations and
# the simulator's seed (config/simulator-seed.json, read at run time), the JSON Schema.
COPY bin ./bin
COPY config ./config
COPY schemas ./schemas
COPY --from=build /app/dist ./dist
# `flexysync` on PATH for `docker compose exec worker flexysync status`; the configuration's place.
RUN ln -s /app/bin/flexysync.js /usr/local/bin/flexysync && mkdir -p /etc/flexysync

# Mount the configuration here (read-only). Secrets never go in the image or the file: give them as
# files through FLEXYKEY_PASSWORD_FILE and FLEXYSYNC_INTAKE_TOKEN_FILE (Docker/Compose secrets under
# /run/secrets), REDIS_URL and FLEXYKEY_USERNAME as variables. .env.example lists every variable.
ENV FLEXYSYNC_CONFIG=/etc/flexysync/flexysync.yaml

# The official image's unprivileged user (uid 1000). The code under /app belongs to root and is only
# readable: the process cannot change it. Secret files must be readable by uid 1000.
USER node

# The worker's HTTP server (http.enabled): POST /v1/bookings, /healthz, /readyz, metrics.
EXPOSE 8780

# The worker stops on SIGTERM: it refuses new intake, hands running unit syncs back to the queue at
# once (another worker resumes them; no Abort, no failure counted) and waits at most 8 s for the rest,
# under Docker's default 10 s before SIGKILL (docker-compose.yml grants 15 s). A second signal exits
# at once. A job cut short by SIGKILL is not lost either: it returns after queues.lockDurationMs.
STOPSIGNAL SIGTERM

# Liveness only (never Redis or FlexyKey, so an outage of either does not get the process restarted):
# GET /healthz on the worker's HTTP server, which runs only when the configuration says
# `http.enabled: true` (config/flexysync.docker.yaml does). No curl in the slim image: Node 20's fetch.
# Port 8780 is `http.port`'s default; if you change it, override the healthcheck too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8780/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Source maps point stack traces at the TypeScript lines.
ENTRYPOINT ["node", "--enable-source-maps", "/app/bin/flexysync.js"]
CMD ["worker"]
