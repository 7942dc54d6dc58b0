#!/usr/bin/env bash
# Starts a real Kubernetes control plane for integration tests, from this checkout, on 127.0.0.1:
#   etcd -> kube-apiserver -> kube-controller-manager + kube-scheduler -> kwok (fake nodes from nodes.yaml)
# Binaries come from hack/cluster/build.sh (built once, cached outside the repo). Ports are picked free at start,
# so several checkouts can run clusters side by side. State, logs and pids live in <repo>/.cluster/.
# Writes .cluster/kubeconfig (admin, system:masters) and .cluster/env (KUBECONFIG=, KUBECTL=, ... absolute paths;
# `set -a; . .cluster/env; set +a` in a shell, or `node --env-file=.cluster/env`).
# Idempotent: returns at once when a healthy cluster from this checkout is already up. Stop it with down.sh.
# Overrides: CLUSTER_WAIT_TIMEOUT (seconds per component, default 120).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WAIT_TIMEOUT="${CLUSTER_WAIT_TIMEOUT:-120}"
SERVICE_CIDR="10.96.0.0/16"
SERVICE_IP="10.96.0.1" # first address of SERVICE_CIDR: the in-cluster "kubernetes" Service
POD_CIDR="10.244.0.0/16"
T0=$SECONDS

for tool in openssl curl setsid base64; do
  command -v "$tool" >/dev/null 2>&1 || die "'${tool}' is required (Debian: apt-get install openssl curl util-linux coreutils)"
done

# ---------------------------------------------------------------------------------------------------------------------
# Already up?
cluster_is_healthy() {
  local name
  [[ -f "$ENV_FILE" ]] || return 1
  for name in "${COMPONENTS[@]}"; do
    component_pid "$name" >/dev/null || return 1
  done
  (
    load_cluster_env
    "$KUBECTL" --kubeconfig="$KUBECONFIG" --request-timeout=5s get --raw=/readyz >/dev/null 2>&1
  )
}

if cluster_is_healthy; then
  log "cluster already up (${ENV_FILE}):"
  cat "$ENV_FILE" >&2
  exit 0
fi
if [[ -e "$CLUSTER_DIR" ]]; then
  log "found stale or partial state in ${CLUSTER_DIR}; cleaning it up first"
  stop_components 10
  rm -rf "$CLUSTER_DIR"
fi

BIN_DIR="$("${REPO_ROOT}/hack/cluster/build.sh")"
KUBECTL="${BIN_DIR}/kubectl"
mkdir -p "$PID_DIR" "$LOG_DIR" "$PKI_DIR" "${CLUSTER_DIR}/etcd"
chmod 700 "$CLUSTER_DIR" "${CLUSTER_DIR}/etcd" # etcd warns unless its data dir is 0700

# On any failure from here on: stop what was started, keep .cluster/logs for inspection.
STARTED=0
on_exit() {
  local rc=$?
  if [[ $rc -ne 0 && "$STARTED" -eq 1 ]]; then
    log "start-up failed; stopping the components (logs kept in ${LOG_DIR}; 'make cluster-down' removes them)"
    stop_components 5
  fi
}
trap on_exit EXIT

# ---------------------------------------------------------------------------------------------------------------------
# Free ports on 127.0.0.1, below the usual ephemeral range (32768+) so outgoing connections do not take them later.
USED_PORTS=()
pick_port() {
  local var="$1" p
  while :; do
    p=$((20000 + RANDOM % 12000))
    [[ " ${USED_PORTS[*]} " == *" ${p} "* ]] && continue
    # A successful connect means something listens there.
    if (: <"/dev/tcp/127.0.0.1/${p}") 2>/dev/null; then continue; fi
    USED_PORTS+=("$p")
    printf -v "$var" '%s' "$p"
    return
  done
}
pick_port ETCD_PORT
pick_port ETCD_PEER_PORT
pick_port APISERVER_PORT
pick_port KCM_PORT
pick_port SCHEDULER_PORT
pick_port KWOK_PORT
APISERVER_URL="https://127.0.0.1:${APISERVER_PORT}"
ETCD_URL="http://127.0.0.1:${ETCD_PORT}"

# ---------------------------------------------------------------------------------------------------------------------
# PKI (openssl), kubeadm-like: one CA signs the apiserver serving cert and the client certs; a front-proxy CA signs the
# apiserver's aggregation client (without it KCM and scheduler log "missing content for CA bundle ...requestheader..."
# every few seconds); an RSA key signs service-account tokens.
log "generating certificates in ${PKI_DIR}"
cat >"${PKI_DIR}/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:${SERVICE_IP}
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
EOF

openssl_quiet() {
  local out
  if ! out="$(openssl "$@" 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "openssl $1 failed"
  fi
}
new_ec_key() { openssl_quiet genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# new_ca NAME CN -> NAME.key, NAME.crt (self-signed)
new_ca() {
  new_ec_key "${PKI_DIR}/$1.key"
  openssl_quiet req -x509 -new -config "${PKI_DIR}/openssl.cnf" -extensions ca -key "${PKI_DIR}/$1.key" \
    -subj "/CN=$2" -days 3650 -sha256 -out "${PKI_DIR}/$1.crt"
}
# issue_cert NAME SUBJECT EXTENSION_SECTION [CA] -> NAME.key, NAME.crt signed by CA (default: ca)
issue_cert() {
  local name="$1" subject="$2" section="$3" ca="${4:-ca}"
  new_ec_key "${PKI_DIR}/${name}.key"
  openssl_quiet req -new -config "${PKI_DIR}/openssl.cnf" -key "${PKI_DIR}/${name}.key" -subj "$subject" \
    -out "${PKI_DIR}/${name}.csr"
  openssl_quiet x509 -req -in "${PKI_DIR}/${name}.csr" -CA "${PKI_DIR}/${ca}.crt" -CAkey "${PKI_DIR}/${ca}.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 365 -sha256 \
    -extfile "${PKI_DIR}/openssl.cnf" -extensions "$section" -out "${PKI_DIR}/${name}.crt"
  rm -f "${PKI_DIR}/${name}.csr"
}

new_ca ca paissive-test-cluster-ca
new_ca front-proxy-ca paissive-test-front-proxy-ca
issue_cert front-proxy-client "/CN=front-proxy-client" client front-proxy-ca
issue_cert apiserver "/CN=kube-apiserver" server
issue_cert admin "/O=system:masters/CN=paissive-admin" client
issue_cert kube-controller-manager "/CN=system:kube-controller-manager" client
issue_cert kube-scheduler "/CN=system:kube-scheduler" client
issue_cert kwok "/O=system:masters/CN=kwok-controller" client
openssl_quiet genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${PKI_DIR}/sa.key"
openssl_quiet pkey -in "${PKI_DIR}/sa.key" -pubout -out "${PKI_DIR}/sa.pub"
chmod 600 "${PKI_DIR}"/*.key

# write_kubeconfig FILE CERT_NAME USER
write_kubeconfig() {
  local file="$1" cert="$2" user="$3"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: paissive-test
  cluster:
    server: ${APISERVER_URL}
    certificate-authority-data: $(base64 -w0 <"${PKI_DIR}/ca.crt")
users:
- name: ${user}
  user:
    client-certificate-data: $(base64 -w0 <"${PKI_DIR}/${cert}.crt")
    client-key-data: $(base64 -w0 <"${PKI_DIR}/${cert}.key")
contexts:
- name: paissive-test
  context:
    cluster: paissive-test
    user: ${user}
current-context: paissive-test
EOF
  chmod 600 "$file"
}
write_kubeconfig "$ADMIN_KUBECONFIG" admin paissive-admin
write_kubeconfig "${PKI_DIR}/kube-controller-manager.kubeconfig" kube-controller-manager system:kube-controller-manager
write_kubeconfig "${PKI_DIR}/kube-scheduler.kubeconfig" kube-scheduler system:kube-scheduler
write_kubeconfig "${PKI_DIR}/kwok.kubeconfig" kwok kwok-controller

# ---------------------------------------------------------------------------------------------------------------------
# Processes
start_component() {
  local name="$1"
  shift
  log "starting ${name}"
  # setsid: own session, so a Ctrl-C or a test runner killing its process group does not take the cluster down.
  setsid "${BIN_DIR}/${name}" "$@" </dev/null >"${LOG_DIR}/${name}.log" 2>&1 &
  local pid=$! i
  echo "$pid" >"${PID_DIR}/${name}.pid"
  STARTED=1
  # Until the forked shell has exec'd the binary, /proc/<pid>/exe still names bash or setsid.
  for ((i = 0; i < 50; i++)); do
    component_pid "$name" >/dev/null && return 0
    pid_running "$pid" || break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  fail_component "$name" "did not start"
}

fail_component() {
  local name="$1" why="$2"
  {
    echo "----- last 40 lines of ${LOG_DIR}/${name}.log -----"
    tail -n 40 "${LOG_DIR}/${name}.log" 2>/dev/null || true
    echo "-----"
  } >&2
  die "${name}: ${why}"
}

# wait_until COMPONENT WHAT CMD...: polls CMD until it succeeds; fails fast (with the tail of COMPONENT's log) if
# COMPONENT's process died or WAIT_TIMEOUT passed.
wait_until() {
  local name="$1" what="$2" t0=$SECONDS
  shift 2
  while ! "$@" >/dev/null 2>&1; do
    component_pid "$name" >/dev/null || fail_component "$name" "process exited while waiting for: ${what}"
    ((SECONDS - t0 < WAIT_TIMEOUT)) || fail_component "$name" "timed out after ${WAIT_TIMEOUT}s waiting for: ${what}"
    sleep 0.5
  done
  log "${what} after $((SECONDS - t0))s"
}

# Health endpoints of the components. KCM and scheduler allow /healthz without authorization by default.
https_get() { curl -fsS --max-time 5 --cacert "${PKI_DIR}/ca.crt" --cert "${PKI_DIR}/admin.crt" --key "${PKI_DIR}/admin.key" "$1"; }
self_signed_get() { curl -fsSk --max-time 5 "$1"; }

start_component etcd \
  --name=paissive-test \
  --data-dir="${CLUSTER_DIR}/etcd" \
  --listen-client-urls="$ETCD_URL" \
  --advertise-client-urls="$ETCD_URL" \
  --listen-peer-urls="http://127.0.0.1:${ETCD_PEER_PORT}" \
  --initial-advertise-peer-urls="http://127.0.0.1:${ETCD_PEER_PORT}" \
  --initial-cluster="paissive-test=http://127.0.0.1:${ETCD_PEER_PORT}" \
  --initial-cluster-state=new \
  --unsafe-no-fsync \
  --auto-compaction-retention=1 \
  --quota-backend-bytes=2147483648 \
  --log-level=warn
wait_until etcd "etcd healthy" curl -fsS --max-time 5 "${ETCD_URL}/health"

start_component kube-apiserver \
  --etcd-servers="$ETCD_URL" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --secure-port="$APISERVER_PORT" \
  --tls-cert-file="${PKI_DIR}/apiserver.crt" \
  --tls-private-key-file="${PKI_DIR}/apiserver.key" \
  --client-ca-file="${PKI_DIR}/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="${PKI_DIR}/sa.pub" \
  --service-account-signing-key-file="${PKI_DIR}/sa.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --authorization-mode=Node,RBAC \
  --allow-privileged=true \
  --requestheader-client-ca-file="${PKI_DIR}/front-proxy-ca.crt" \
  --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User \
  --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="${PKI_DIR}/front-proxy-client.crt" \
  --proxy-client-key-file="${PKI_DIR}/front-proxy-client.key" \
  --endpoint-reconciler-type=none \
  --profiling=false
wait_until kube-apiserver "kube-apiserver ready" https_get "${APISERVER_URL}/readyz"

start_component kube-controller-manager \
  --kubeconfig="${PKI_DIR}/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig="${PKI_DIR}/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig="${PKI_DIR}/kube-controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$KCM_PORT" \
  --leader-elect=false \
  --controllers='*' \
  --use-service-account-credentials=true \
  --service-account-private-key-file="${PKI_DIR}/sa.key" \
  --root-ca-file="${PKI_DIR}/ca.crt" \
  --cluster-signing-cert-file="${PKI_DIR}/ca.crt" \
  --cluster-signing-key-file="${PKI_DIR}/ca.key" \
  --kube-api-qps=100 \
  --kube-api-burst=200 \
  --profiling=false
# Client rate limits as a busy production cluster sets them (the defaults, 20-50 QPS, throttle bulk tests).
start_component kube-scheduler \
  --kubeconfig="${PKI_DIR}/kube-scheduler.kubeconfig" \
  --authentication-kubeconfig="${PKI_DIR}/kube-scheduler.kubeconfig" \
  --authorization-kubeconfig="${PKI_DIR}/kube-scheduler.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$SCHEDULER_PORT" \
  --leader-elect=false \
  --kube-api-qps=100 \
  --kube-api-burst=200 \
  --profiling=false
wait_until kube-controller-manager "kube-controller-manager healthy" self_signed_get "https://127.0.0.1:${KCM_PORT}/healthz"
wait_until kube-scheduler "kube-scheduler healthy" self_signed_get "https://127.0.0.1:${SCHEDULER_PORT}/healthz"

start_component kwok \
  --kubeconfig="${PKI_DIR}/kwok.kubeconfig" \
  --config="${BIN_DIR}/stages.yaml" \
  --manage-all-nodes=false \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --cidr="$POD_CIDR" \
  --node-lease-duration-seconds=40 \
  --server-address="127.0.0.1:${KWOK_PORT}"
wait_until kwok "kwok healthy" curl -fsS --max-time 5 "http://127.0.0.1:${KWOK_PORT}/healthz"

# ---------------------------------------------------------------------------------------------------------------------
# Fake nodes, then wait until the cluster can run pods: nodes Ready (kwok) with the not-ready taint removed (KCM node
# lifecycle controller) and the default ServiceAccount created (KCM serviceaccount controller).
kubectl_admin() { "$KUBECTL" --kubeconfig="$ADMIN_KUBECONFIG" "$@"; }

kubectl_admin apply -f "${REPO_ROOT}/hack/cluster/nodes.yaml" >&2
nodes_schedulable() {
  local out
  out="$(kubectl_admin get nodes -o jsonpath='{range .items[*]}{.metadata.name}{" ready="}{.status.conditions[?(@.type=="Ready")].status}{" taints="}{.spec.taints[*].key}{"\n"}{end}')" || return 1
  [[ -n "$out" ]] || return 1
  ! grep -qE 'ready=([^T]|$)|node\.kubernetes\.io/' <<<"$out"
}
wait_until kwok "nodes Ready and untainted by the node lifecycle controller" nodes_schedulable
wait_until kube-controller-manager "default ServiceAccount created" kubectl_admin -n default get serviceaccount default

ENV_TMP="$(mktemp "${CLUSTER_DIR}/.env.XXXXXX")"
cat >"$ENV_TMP" <<EOF
# Written by hack/cluster/up.sh. Shell: set -a; . .cluster/env; set +a   Node: node --env-file=.cluster/env
KUBECONFIG='${ADMIN_KUBECONFIG}'
KUBECTL='${KUBECTL}'
HELM='${BIN_DIR}/helm'
CLUSTER_BIN_DIR='${BIN_DIR}'
KUBE_APISERVER_URL='${APISERVER_URL}'
ETCD_URL='${ETCD_URL}'
KUBE_CONTROLLER_MANAGER_PORT='${KCM_PORT}'
KUBE_SCHEDULER_PORT='${SCHEDULER_PORT}'
KWOK_PORT='${KWOK_PORT}'
EOF
mv "$ENV_TMP" "$ENV_FILE"

kubectl_admin get nodes -o wide >&2
log "cluster up in $((SECONDS - T0))s: apiserver ${APISERVER_URL}, kubeconfig ${ADMIN_KUBECONFIG}, env ${ENV_FILE}"
