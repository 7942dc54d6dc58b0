#!/usr/bin/env bash
# Smoke test of the cluster started by up.sh: scheduling of GPU/CPU pods onto the kwok nodes, pods becoming Ready,
# an unschedulable 100-GPU pod, garbage collection of a Deployment's ReplicaSet and Pods, namespace deletion and the
# server version. Uses the kubectl built by build.sh (.cluster/env). Exits non-zero on the first failed check.
# Overrides: SMOKE_TIMEOUT (seconds to wait for each condition, default 90), SMOKE_KEEP=1 keeps the namespace.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT="${SMOKE_TIMEOUT:-90}"
load_cluster_env
[[ -x "$KUBECTL" ]] || die "kubectl from .cluster/env is not executable: ${KUBECTL}"
NS="smoke-$(date +%s)-$RANDOM"
PASSED=0
T0=$SECONDS

k() { "$KUBECTL" --kubeconfig="$KUBECONFIG" --request-timeout=20s "$@"; }
kn() { k -n "$NS" "$@"; }
pass() {
  PASSED=$((PASSED + 1))
  printf '[smoke] PASS %s\n' "$*"
}
fail() {
  printf '[smoke] FAIL %s\n' "$*" >&2
  {
    echo "----- diagnostics (namespace ${NS}) -----"
    kn get deploy,rs,pods -o wide 2>&1 || true
    kn get events --sort-by=.lastTimestamp 2>&1 | tail -n 20 || true
    k get nodes -o wide 2>&1 || true
  } >&2
  printf '%d passed, 1 failed\n' "$PASSED"
  exit 1
}
cleanup() {
  if [[ "${SMOKE_KEEP:-0}" != 1 ]]; then k delete namespace "$NS" --wait=false >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# wait_for DESCRIPTION CMD...: polls CMD (a function or command) until it succeeds or TIMEOUT passes.
wait_for() {
  local what="$1" t0=$SECONDS
  shift
  until "$@"; do
    ((SECONDS - t0 < TIMEOUT)) || fail "timed out after ${TIMEOUT}s waiting for: ${what}"
    sleep 1
  done
}

# --- versions --------------------------------------------------------------------------------------------------------
EXPECTED_VERSION="$(sed -n 's/^k8s=//p' "${CLUSTER_BIN_DIR}/BUILD_OK")"
VERSION_OUT="$(k version 2>&1)" || fail "kubectl version failed: ${VERSION_OUT}"
printf '%s\n' "$VERSION_OUT"
grep -qx "Server Version: ${EXPECTED_VERSION}" <<<"$VERSION_OUT" || fail "kubectl version does not show 'Server Version: ${EXPECTED_VERSION}'"
grep -qx "Client Version: ${EXPECTED_VERSION}" <<<"$VERSION_OUT" || fail "kubectl version does not show 'Client Version: ${EXPECTED_VERSION}'"
pass "kubectl version: client and server ${EXPECTED_VERSION}"

# --- workloads -------------------------------------------------------------------------------------------------------
k create namespace "$NS" >/dev/null || fail "cannot create namespace ${NS}"
pass "namespace ${NS} created"

# --- service accounts (KCM serviceaccount + serviceaccount-token controllers) -----------------------------------------
default_sa_exists() { kn get serviceaccount default >/dev/null 2>&1; }
wait_for "ServiceAccount ${NS}/default (serviceaccount controller)" default_sa_exists
pass "ServiceAccount default created in ${NS}"
kn apply -f - >/dev/null <<EOF || fail "cannot create a service-account-token Secret"
apiVersion: v1
kind: Secret
metadata:
  name: default-token
  annotations: {kubernetes.io/service-account.name: default}
type: kubernetes.io/service-account-token
EOF
token_populated() { [[ -n "$(kn get secret default-token -o jsonpath='{.data.token}')" ]]; }
wait_for "the token controller to fill Secret default-token" token_populated
pass "serviceaccount-token controller filled a kubernetes.io/service-account-token Secret"

# deployment NAME REPLICAS EXTRA_POD_SPEC_YAML RESOURCES_YAML
deployment() {
  cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
  labels: {app: $1}
spec:
  replicas: $2
  selector:
    matchLabels: {app: $1}
  template:
    metadata:
      labels: {app: $1}
    spec:
$3
      containers:
      - name: main
        image: registry.k8s.io/pause:3.10
        resources:
$4
EOF
}
GPU_TOLERATION='      tolerations:
      - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}'
{
  deployment gpu-l4 2 "${GPU_TOLERATION}
      nodeSelector:
        nvidia.com/gpu.product: NVIDIA-L4" '          limits: {nvidia.com/gpu: 1}'
  echo "---"
  deployment cpu-only 1 "" '          requests: {cpu: 100m, memory: 64Mi}'
  echo "---"
  deployment gpu-too-many 1 "$GPU_TOLERATION" '          limits: {nvidia.com/gpu: 100}'
} | kn apply -f - >/dev/null || fail "cannot create the smoke Deployments"
pass "Deployments gpu-l4 (2 x 1 GPU, L4 selector), cpu-only, gpu-too-many (100 GPUs) created"

# pods_of APP -> "name node phase ready" per pod
pods_of() {
  kn get pods -l "app=$1" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.nodeName}{" "}{.status.phase}{" "}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}'
}
# all_ready_on APP NODE COUNT: COUNT pods, all Running, Ready and on NODE
all_ready_on() {
  local out
  out="$(pods_of "$1")" || return 1
  [[ "$(grep -c . <<<"$out")" -eq "$3" ]] || return 1
  ! awk -v node="$2" '$2 != node || $3 != "Running" || $4 != "True" { bad = 1 } END { exit !bad }' <<<"$out"
}

wait_for "2 gpu-l4 pods Running and Ready on gpu-l4-1" all_ready_on gpu-l4 gpu-l4-1 2
pods_of gpu-l4
pass "gpu-l4 pods scheduled onto gpu-l4-1 (nvidia.com/gpu.product=NVIDIA-L4) and Running/Ready"

wait_for "the cpu-only pod Running and Ready on cpu-1" all_ready_on cpu-only cpu-1 1
pods_of cpu-only
pass "cpu-only pod scheduled onto cpu-1 (GPU nodes are tainted) and Running/Ready"

k rollout status -n "$NS" deployment/gpu-l4 --timeout="${TIMEOUT}s" >/dev/null || fail "deployment gpu-l4 did not complete its rollout"
pass "deployment gpu-l4 rollout complete (availableReplicas=2)"

# --- unschedulable ---------------------------------------------------------------------------------------------------
unschedulable_for_gpus() {
  local cond
  cond="$(kn get pods -l app=gpu-too-many -o jsonpath='{range .items[*]}{.status.phase}{"|"}{.spec.nodeName}{"|"}{.status.conditions[?(@.type=="PodScheduled")].reason}{"|"}{.status.conditions[?(@.type=="PodScheduled")].message}{"\n"}{end}')" || return 1
  [[ "$cond" == "Pending||Unschedulable|"*nvidia.com/gpu* ]] || return 1
  UNSCHEDULABLE_MESSAGE="$cond"
}
wait_for "the 100-GPU pod to be Pending with PodScheduled=False/Unschedulable mentioning nvidia.com/gpu" unschedulable_for_gpus
echo "$UNSCHEDULABLE_MESSAGE"
failed_scheduling_event() {
  kn get events --field-selector reason=FailedScheduling -o jsonpath='{range .items[*]}{.involvedObject.name}{" "}{.message}{"\n"}{end}' |
    grep -E '^gpu-too-many-.*nvidia\.com/gpu'
}
wait_for "a FailedScheduling event for the 100-GPU pod" failed_scheduling_event >/dev/null
pass "gpu-too-many pod stays Pending: Unschedulable + FailedScheduling event mention nvidia.com/gpu"
sleep 3
[[ -z "$(kn get pods -l app=gpu-too-many -o jsonpath='{.items[*].spec.nodeName}')" ]] || fail "the 100-GPU pod got bound to a node"
pass "gpu-too-many pod still unbound after 3s"

# --- garbage collection ----------------------------------------------------------------------------------------------
RS="$(kn get rs -l app=gpu-l4 -o jsonpath='{.items[*].metadata.name}')"
[[ -n "$RS" ]] || fail "no ReplicaSet found for deployment gpu-l4"
OWNER="$(kn get rs "$RS" -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}')"
[[ "$OWNER" == "Deployment/gpu-l4" ]] || fail "ReplicaSet ${RS} is owned by '${OWNER}', expected Deployment/gpu-l4"
kn delete deployment gpu-l4 --wait=false >/dev/null || fail "cannot delete deployment gpu-l4"
gc_done() {
  [[ -z "$(kn get rs,pods -l app=gpu-l4 -o name)" ]]
}
wait_for "the garbage collector to delete ReplicaSet ${RS} and its Pods" gc_done
pass "deleting deployment gpu-l4 garbage-collected ReplicaSet ${RS} and its Pods"

# --- namespace deletion (namespace controller) -----------------------------------------------------------------------
if [[ "${SMOKE_KEEP:-0}" != 1 ]]; then
  k delete namespace "$NS" --wait=false >/dev/null || fail "cannot delete namespace ${NS}"
  namespace_gone() { ! k get namespace "$NS" >/dev/null 2>&1; }
  wait_for "namespace ${NS} to be deleted" namespace_gone
  pass "namespace ${NS} deleted (namespace controller emptied it)"
fi

echo "[smoke] all checks passed in $((SECONDS - T0))s"
printf '%d passed, 0 failed\n' "$PASSED"
