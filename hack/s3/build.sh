#!/usr/bin/env bash
# Builds (once) and caches gofakes3, the S3-compatible server the runtime's model-store tests start on loopback:
#   gofakes3   (github.com/johannesboyne/gofakes3/cmd/gofakes3; a real HTTP server speaking the S3 REST API,
#               including ranged GETs, with an in-memory or filesystem backend)
#
# Built from Go modules (module proxy only; no Docker, no binary downloads) into
#   ${PAISSIVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/paissive}/s3/<key>/gofakes3
# where <key> names the version, the Go version and os/arch. Nothing is written into the repository.
# A cache directory is complete when it holds BUILD_OK; a second run is then a no-op (well under a second).
#
# Progress goes to stderr; the path of the binary is printed on stdout (so `bin=$(build.sh)` works).
# Usage: hack/s3/build.sh [--force]
# Overrides: GOFAKES3_VERSION, BUILD_PARALLELISM (go build -p, default 2).
set -euo pipefail

# The build itself (cache, lock, wrapper module) is hack/lib/go-tool-build.sh's. Bump --recipe when the way this
# binary is built changes, so old caches are not reused.
GOFAKES3_VERSION="${GOFAKES3_VERSION:-v1.2.0}"
exec bash "$(dirname "${BASH_SOURCE[0]}")/../lib/go-tool-build.sh" --doc "${BASH_SOURCE[0]}" \
  --name gofakes3 --cache-subdir s3 --recipe r1 --min-go 1.24 \
  --module github.com/johannesboyne/gofakes3 --package github.com/johannesboyne/gofakes3/cmd/gofakes3 \
  --version "$GOFAKES3_VERSION" -- "$@"
