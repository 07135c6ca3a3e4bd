# broadsheet in a container: `serve` (site, subscriptions, scheduler) or a
# delivery worker (`send --worker`), the same image. See compose.yaml and
# the README's "Scaling out". Not built or run on the machine this was
# written on (no Docker engine there): treat it as a starting point.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The sources are not there yet, so `prepare` (the build) waits; the native
# packages still run their install scripts (better-sqlite3 fetches its
# prebuilt binary). Dev dependencies (TypeScript, esbuild) build dist/.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3 esbuild
COPY . .
RUN node bin/build.js && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build --chown=node:node /app /app
USER node
# Articles, output, data: mount them (compose.yaml does). Configuration comes
# from the environment (DATABASE_URL, SMTP_URL, BROADSHEET_SECRET,
# BROADSHEET_BASE_URL …) and an optional mounted broadsheet.config.yaml.
ENTRYPOINT ["node", "bin/broadsheet.js"]
CMD ["serve", "--host", "0.0.0.0"]
