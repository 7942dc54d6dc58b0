#!/usr/bin/env bash
# Stops the test cluster started by up.sh from this checkout (SIGTERM, then SIGKILL after a grace period) and
# removes <repo>/.cluster/. Safe to run when nothing is up. The cached binaries are kept.
# Overrides: CLUSTER_STOP_GRACE (seconds between SIGTERM and SIGKILL, default 10).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ! -e "$CLUSTER_DIR" ]]; then
  log "nothing to stop (no ${CLUSTER_DIR})"
  exit 0
fi
stop_components "${CLUSTER_STOP_GRACE:-10}"
rm -rf "$CLUSTER_DIR"
log "cluster down; removed ${CLUSTER_DIR}"
