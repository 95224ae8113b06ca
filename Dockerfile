# syntax=docker/dockerfile:1
# Build stage: full dependencies, compile TypeScript.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY src ./src
COPY libs ./libs
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies and the compiled app, as a non-root user.
FROM node:22-bookworm-slim
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Node itself is PID 1 (no shell in between), so `docker stop`'s SIGTERM reaches it and the
# service drains (README "Shutdown"). It applies pending migrations at start. The V8 flags (the
# young-generation cap, helper threads sized to the cores) are those `npm start` uses (README "Memory").
CMD ["node", "--max-semi-space-size=8", "--v8-pool-size=0", "dist/src/main.js"]
