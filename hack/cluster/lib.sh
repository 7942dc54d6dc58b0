#!/usr/bin/env bash
# Shared helpers of hack/cluster/{up,down,smoke}.sh. Source it; it does nothing on its own.
# shellcheck disable=SC2034 # variables are used by the scripts that source this file

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER_DIR="${REPO_ROOT}/.cluster"
PID_DIR="${CLUSTER_DIR}/pids"
LOG_DIR="${CLUSTER_DIR}/logs"
PKI_DIR="${CLUSTER_DIR}/pki"
ENV_FILE="${CLUSTER_DIR}/env"
ADMIN_KUBECONFIG="${CLUSTER_DIR}/kubeconfig"
# Start order; stop order is the reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf '[cluster] ERROR: %s\n' "$*" >&2
  exit 1
}

# Prints the pid of a component started from this checkout if that process is still running the component's
# binary (guards against a recycled pid); prints nothing and fails otherwise.
component_pid() {
  local name="$1" pid exe
  [[ -f "${PID_DIR}/${name}.pid" ]] || return 1
  pid="$(<"${PID_DIR}/${name}.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  exe="$(readlink "/proc/${pid}/exe" 2>/dev/null)" || return 1
  [[ "${exe##*/}" == "$name" ]] || return 1
  echo "$pid"
}

# True while PID exists and is not a zombie (an exited child waiting to be reaped: PID 1 of some containers reaps
# orphans only every second or two, and `kill -0` succeeds on zombies).
pid_running() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }" # the state letter follows "(comm) "
  [[ "${stat:0:1}" != Z ]]
}

# Stops every component of this checkout, one at a time in reverse start order (clients before the servers they talk
# to, so etcd and the apiserver do not wait on open connections): SIGTERM, then SIGKILL after a grace period.
# Safe when nothing runs. Leaves files in place.
stop_components() {
  local grace="${1:-10}" name pid i deadline
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    name="${COMPONENTS[$i]}"
    pid="$(component_pid "$name")" || continue
    log "stopping ${name} (pid ${pid})"
    kill -TERM "$pid" 2>/dev/null || continue
    deadline=$((SECONDS + grace))
    while pid_running "$pid" && ((SECONDS < deadline)); do
      sleep 0.1
    done
    if pid_running "$pid"; then
      log "${name} (pid ${pid}) still running ${grace}s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

# Loads .cluster/env (KUBECONFIG, KUBECTL, ...) into the environment, exported.
load_cluster_env() {
  [[ -f "$ENV_FILE" ]] || die "no cluster is up in this checkout (${ENV_FILE} is missing); run 'make cluster-up' first"
  set -a
  # shellcheck source=/dev/null
  . "$ENV_FILE"
  set +a
}
