#!/usr/bin/env bash
# The test run behind `make test`: starts the local control plane unless one from this checkout is already up
# (building it on the first run), runs every suite with coverage, and stops the cluster again if it started it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started=0
if [[ -f .cluster/env ]] && (set -a && . .cluster/env && "$KUBECTL" --kubeconfig="$KUBECONFIG" --request-timeout=5s get --raw=/readyz >/dev/null 2>&1); then
  echo "test: using the cluster already up in .cluster/" >&2
else
  bash hack/cluster/up.sh
  started=1
fi
cleanup() { if [[ "$started" -eq 1 ]]; then bash hack/cluster/down.sh; fi; }
trap cleanup EXIT

CLUSTER_REQUIRED=1 npx c8 mocha "$@"
