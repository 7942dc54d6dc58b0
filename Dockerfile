# One image for the three processes; the command picks which:
#   node dist/api/src/main.js          the router (default)
#   node dist/operator/src/main.js     the operator
#   node dist/runtime/src/main.js      the inference runtime
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY api api
COPY operator operator
COPY runtime runtime
COPY crds crds
COPY models models
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# The gRPC protocol files are read at run time.
COPY --from=build /app/runtime/proto runtime/proto
USER node
ENTRYPOINT ["node"]
CMD ["dist/api/src/main.js"]
