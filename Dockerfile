# One image for the three processes (docs/image.md). ENTRYPOINT is node; the command picks the process:
#   dist/runtime/src/main.js     the inference runtime (default: the operator's runtime pods set no args)
#   dist/api/src/main.js         the router (the chart sets these args)
#   dist/operator/src/main.js    the operator (the chart sets these args)
# The GPU variant (Dockerfile.gpu) is this image on a CUDA + cuDNN base with onnxruntime's CUDA provider.

# Node 24 LTS, Debian bookworm slim, pinned to its multi-arch index digest (Node 24.18.0): the same pin is
# used by public Dockerfiles, e.g. github.com/cyanxxy/open-ocr-cli-mcp (Dockerfile at 9b9df545). Bumping it
# is docs/image.md "Base images". hack/image/local-base.sh replaces it with a base built from Debian packages.
ARG BASE_IMAGE=docker.io/library/node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

FROM ${BASE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Only the lockfile above decides this layer, so source changes reuse it. --ignore-scripts is what
# package.json's allowScripts says (every install script there is denied; onnxruntime-node's would download
# the CUDA provider, which only Dockerfile.gpu installs) and holds with npm versions that ignore allowScripts.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM deps AS build
# The allowlist in .dockerignore decides what this copies (sources, no node_modules, no local builds).
COPY . .
# onnxruntime-node ships binaries for darwin, win32 and linux (arm64, x64): only the target's stay. Docker sets
# TARGETARCH (amd64, arm64; onnxruntime names them x64, arm64); where unset (buildah 1.28), this node's own.
ARG TARGETARCH
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && ort=node_modules/onnxruntime-node/bin/napi-v6 \
 && arch="${TARGETARCH:-$(node -p process.arch)}" && if [ "$arch" = amd64 ]; then arch=x64; fi \
 && test -f "$ort/linux/$arch/onnxruntime_binding.node" \
 && find "$ort" -mindepth 2 -maxdepth 2 ! -path "$ort/linux/$arch" -exec rm -rf {} + \
 && find "$ort" -mindepth 1 -maxdepth 1 -type d -empty -delete

FROM ${BASE_IMAGE} AS runtime
# hack/image/build.sh fills these from package.json and git; SOURCE from the git remote when there is one.
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=
LABEL org.opencontainers.image.title="paissive" \
      org.opencontainers.image.description="paissive: AIModel/ModelVersion operator, ONNX inference runtime and router API" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# A numeric user matching the operator's runtime pods (podSecurity.runAsUser 10001): Kubernetes can verify
# runAsNonRoot only for a numeric USER. Files stay root-owned and read-only to it.
RUN groupadd --system --gid 10001 paissive \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin paissive
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# Read at run time: the gRPC protocol files, and the dashboard's page and scripts (served as they are).
COPY --from=build /app/runtime/proto runtime/proto
COPY --from=build /app/api/src/dashboard/assets api/src/dashboard/assets
USER 10001:10001
ENTRYPOINT ["node"]
CMD ["dist/runtime/src/main.js"]
