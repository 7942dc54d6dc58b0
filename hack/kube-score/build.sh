#!/usr/bin/env bash
# Builds (once) and caches kube-score, the static checker test/charts/kube-score.test.ts runs on the rendered chart
# and on the runtime Deployments the operator creates:
#   kube-score (github.com/zegl/kube-score/cmd/kube-score)
#
# Built from Go modules (module proxy only; no Docker, no binary downloads) into
#   ${PAISSIVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/paissive}/kube-score/<key>/kube-score
# where <key> names the version, the Go version and os/arch. Nothing is written into the repository.
# A cache directory is complete when it holds BUILD_OK; a second run is then a no-op (well under a second).
#
# Progress goes to stderr; the path of the binary is printed on stdout (so `bin=$(build.sh)` works).
# Usage: hack/kube-score/build.sh [--force]
# Overrides: KUBE_SCORE_VERSION, BUILD_PARALLELISM (go build -p, default 2).
set -euo pipefail

# The build itself (cache, lock, wrapper module) is hack/lib/go-tool-build.sh's. Bump --recipe when the way this
# binary is built changes, so old caches are not reused.
# `go list -m -versions github.com/zegl/kube-score` lists v1.20.0 only (the module proxy knows no other release).
KUBE_SCORE_VERSION="${KUBE_SCORE_VERSION:-v1.20.0}"
# kube-score prints its version from these variables (`kube-score version`); module zips carry no git commit.
LDFLAGS="-s -w -X main.version=${KUBE_SCORE_VERSION#v} -X main.commit=module-proxy -X main.date=n/a"
exec bash "$(dirname "${BASH_SOURCE[0]}")/../lib/go-tool-build.sh" --doc "${BASH_SOURCE[0]}" \
  --name kube-score --cache-subdir kube-score --recipe r1 --min-go 1.23.0 \
  --module github.com/zegl/kube-score --package github.com/zegl/kube-score/cmd/kube-score \
  --version "$KUBE_SCORE_VERSION" --ldflags "$LDFLAGS" -- "$@"
