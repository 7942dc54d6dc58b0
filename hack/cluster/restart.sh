#!/usr/bin/env bash
# Crashes (SIGKILL) one running component of the test cluster and starts it again with the exact command line it
# was started with, e.g.
#   hack/cluster/restart.sh kube-apiserver
# Tests use it to drop every watch connection at once: a restarted apiserver's watch cache starts at the current
# revision, so clients resuming from an older resourceVersion get 410 Gone and must relist.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name="${1:?usage: restart.sh <component>}"
pid="$(component_pid "$name")" || die "${name} is not running in this checkout"
mapfile -d '' -t cmd <"/proc/${pid}/cmdline"
log "killing ${name} (pid ${pid})"
kill -KILL "$pid"
# The thread-group leader turns zombie before its other threads have exited, and the listening sockets close with
# the last thread: wait until no thread is left, or the new process would find its port still bound.
for ((i = 0; i < 400; i++)); do
  threads=$(find "/proc/${pid}/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  if ! pid_running "$pid" && ((threads <= 1)); then break; fi
  sleep 0.05
done
log "starting ${name}"
setsid "${cmd[@]}" </dev/null >>"${LOG_DIR}/${name}.log" 2>&1 &
echo "$!" >"${PID_DIR}/${name}.pid"
if [[ "$name" == kube-apiserver ]]; then
  load_cluster_env
  for ((i = 0; i < 600; i++)); do
    "$KUBECTL" --kubeconfig="$KUBECONFIG" --request-timeout=2s get --raw=/readyz >/dev/null 2>&1 && exit 0
    sleep 0.1
  done
  die "kube-apiserver did not become ready after the restart (see ${LOG_DIR}/${name}.log)"
fi
