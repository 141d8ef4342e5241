# syntax=docker/dockerfile:1

# Build: compile TypeScript to dist/ (devDependencies needed only here).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped: `prepare` would build before the sources are copied, and no native step is needed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# Runtime: production dependencies, the compiled code and the migrations, run as a non-root user.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
# /healthz and /metrics (when METRICS_PORT is set) on every interface of the container, to be scraped
# from outside it; outside a container they listen on loopback only.
ENV METRICS_HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# What ships: the CLI and its jobs. dist/tools (simulator, demo, embedded PostgreSQL) and dist/bench are
# development tools and stay out of the image.
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/jobs ./dist/jobs
COPY migrations ./migrations
USER node
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["schedule"]
