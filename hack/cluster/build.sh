#!/usr/bin/env bash
# Builds (once) and caches the binaries of the local Kubernetes control plane used by integration tests:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  (k8s.io/kubernetes cmd/)
#   etcd                                                              (go.etcd.io/etcd/server/v3)
#   kwok                                                              (sigs.k8s.io/kwok/cmd/kwok)
#   helm                                                              (helm.sh/helm/v3/cmd/helm; chart tests)
# plus stages.yaml, the kwok Stage objects that make fake nodes and pods become Ready.
#
# Everything is built from Go modules (module proxy only; no Docker, no binary downloads) into
#   ${PAISSIVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/paissive}/ctrlplane/<key>/
# where <key> names every version, the Go version and os/arch. Nothing is written into the repository.
# A cache directory is complete when it holds BUILD_OK; a second run is then a no-op.
#
# Progress goes to stderr; the cache directory is printed on stdout (so `bin=$(build.sh)` works).
# Usage: hack/cluster/build.sh [--force]
# Overrides: K8S_VERSION, ETCD_VERSION, KWOK_VERSION, HELM_VERSION, BUILD_PARALLELISM (go build -p, default 2).
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
BUILD_PARALLELISM="${BUILD_PARALLELISM:-2}"
# Bump when the way the binaries are built changes, so old caches are not reused.
RECIPE_REVISION="r2"

FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h | --help)
      sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "build.sh: unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

START_TS=$(date +%s)

log() { printf '[cluster-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf '[cluster-build] ERROR: %s\n' "$*" >&2
  exit 1
}
elapsed() {
  local s=$(($(date +%s) - $1))
  printf '%dm%02ds' $((s / 60)) $((s % 60))
}

# ---------------------------------------------------------------------------------------------------------------------
# Preconditions: Go present and new enough to name in the cache key.
command -v go >/dev/null 2>&1 ||
  die "Go is not installed (no 'go' on PATH). Install Go >= 1.26 (the k8s ${K8S_VERSION} modules declare 'go 1.26.0'), then rerun."

GO_VERSION="$(cd / && GOTOOLCHAIN=local go env GOVERSION)"
GOOS="$(go env GOOS)"
GOARCH="$(go env GOARCH)"

CACHE_ROOT="${PAISSIVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/paissive}/ctrlplane"
KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_helm-${HELM_VERSION}_${GO_VERSION}_${GOOS}-${GOARCH}_${RECIPE_REVISION}"
OUT_DIR="${CACHE_ROOT}/${KEY}"

if [[ "$FORCE" -eq 0 && -f "${OUT_DIR}/BUILD_OK" ]]; then
  log "cached: ${OUT_DIR}"
  echo "${OUT_DIR}"
  exit 0
fi

mkdir -p "$CACHE_ROOT"
# One builder per key at a time (two checkouts running `make cluster-up` together would otherwise build twice).
exec 9>"${CACHE_ROOT}/${KEY}.lock"
if ! flock -n 9; then
  log "another build of ${KEY} is running; waiting for it"
  flock 9
fi
if [[ "$FORCE" -eq 0 && -f "${OUT_DIR}/BUILD_OK" ]]; then
  log "cached (built by a concurrent run): ${OUT_DIR}"
  echo "${OUT_DIR}"
  exit 0
fi

# Build into a temporary directory next to the final one (same filesystem) and rename it at the end.
WORK="$(mktemp -d "${CACHE_ROOT}/.tmp-${KEY}.XXXXXX")"
TICKER_PID=""
cleanup() {
  if [[ -n "$TICKER_PID" ]]; then kill "$TICKER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Keep the wrapper modules independent of any go.work above them and of vendor directories.
export GOWORK=off CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod"

# Prints "... still building X (elapsed)" once a minute while a long step runs.
start_ticker() {
  local what="$1" since="$2"
  # The ticker must neither keep the build lock (fd 9) nor our stdout (callers read it with $(...)) open, and its
  # sleep must die with it, or a caller would wait up to a minute after the build.
  (
    exec 9>&- >&2
    sleep_pid=""
    trap 'kill "$sleep_pid" 2>/dev/null; exit 0' TERM
    while :; do
      sleep 60 &
      sleep_pid=$!
      wait "$sleep_pid"
      log "... still building ${what} ($(elapsed "$since"))"
    done
  ) &
  TICKER_PID=$!
}
stop_ticker() {
  if [[ -n "$TICKER_PID" ]]; then
    kill "$TICKER_PID" 2>/dev/null || true
    wait "$TICKER_PID" 2>/dev/null || true
    TICKER_PID=""
  fi
}

# Runs a long go command in a directory with progress output; $1 = label, $2 = directory, rest = command.
run_go() {
  local what="$1" dir="$2"
  shift 2
  local t0
  t0=$(date +%s)
  log "building ${what} ..."
  start_ticker "$what" "$t0"
  if ! (cd "$dir" && "$@") >"${WORK}/go.log" 2>&1; then
    stop_ticker
    tail -n 40 "${WORK}/go.log" >&2
    die "building ${what} failed (command: $*)"
  fi
  stop_ticker
  log "built ${what} in $(elapsed "$t0")"
}

# Downloads a module (or reuses GOMODCACHE) and prints the path of a field of `go mod download -json`.
module_file() {
  local mod="$1" field="$2" json
  if ! json="$(cd "$WORK" && go mod download -json "$mod" 2>&1)"; then
    printf '%s\n' "$json" >&2
    die "cannot download ${mod} (GOPROXY=$(go env GOPROXY)). Is the Go module proxy reachable from this machine? Check the network/proxy settings, or set GOPROXY to a reachable proxy."
  fi
  # go mod download -json prints "Error" inside the JSON (exit status 1, handled above) or the paths.
  sed -n "s/^[[:space:]]*\"${field}\": \"\(.*\)\",\{0,1\}$/\1/p" <<<"$json"
}

log "cache key: ${KEY}"
log "toolchain: ${GO_VERSION} ${GOOS}/${GOARCH}, go build -p ${BUILD_PARALLELISM}, CGO_ENABLED=0"
mkdir -p "${WORK}/out"

COMMON_BUILD_FLAGS=(-p "$BUILD_PARALLELISM" -trimpath)
BUILD_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

# ---------------------------------------------------------------------------------------------------------------------
# 1. Kubernetes: a throw-away wrapper module that requires k8s.io/kubernetes and maps every staging module
#    (required at v0.0.0 and replaced by ./staging/src/... upstream) to its published v0.<minor>.<patch> version.
log "resolving k8s.io/kubernetes@${K8S_VERSION} ..."
K8S_GOMOD="$(module_file "k8s.io/kubernetes@${K8S_VERSION}" GoMod)"
[[ -f "$K8S_GOMOD" ]] || die "go mod download did not report a go.mod for k8s.io/kubernetes@${K8S_VERSION}"

STAGING_VERSION="v0.${K8S_VERSION#v1.}" # v1.36.3 -> v0.36.3
K8S_GO_LINE="$(grep -m1 -E '^go [0-9]' "$K8S_GOMOD")"
K8S_GODEBUG_LINE="$(grep -m1 -E '^godebug ' "$K8S_GOMOD" || true)"
mapfile -t STAGING_MODULES < <(sed -n -E 's#^[[:space:]]*(k8s\.io/[A-Za-z0-9._-]+)[[:space:]]+=>[[:space:]]+\./staging/.*#\1#p' "$K8S_GOMOD")
[[ "${#STAGING_MODULES[@]}" -gt 0 ]] || die "found no staging replace lines in ${K8S_GOMOD}"
log "k8s go.mod: '${K8S_GO_LINE}', ${#STAGING_MODULES[@]} staging modules -> ${STAGING_VERSION}"

K8S_MOD_DIR="${WORK}/src/k8s"
mkdir -p "$K8S_MOD_DIR"
{
  echo "// Generated by hack/cluster/build.sh; throw-away wrapper to build k8s.io/kubernetes/cmd/* from the module proxy."
  echo "module paissive.local/ctrlplane/k8s"
  echo
  echo "$K8S_GO_LINE"
  if [[ -n "$K8S_GODEBUG_LINE" ]]; then echo "$K8S_GODEBUG_LINE"; fi
  echo
  echo "require k8s.io/kubernetes ${K8S_VERSION}"
  echo
  echo "replace ("
  for m in "${STAGING_MODULES[@]}"; do
    echo "	${m} => ${m} ${STAGING_VERSION}"
  done
  echo ")"
} >"${K8S_MOD_DIR}/go.mod"

K8S_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
K8S_PKGS=()
for c in "${K8S_CMDS[@]}"; do K8S_PKGS+=("k8s.io/kubernetes/cmd/${c}@${K8S_VERSION}"); done

t0=$(date +%s)
log "downloading k8s modules (go get ${K8S_CMDS[*]}) ..."
if ! (cd "$K8S_MOD_DIR" && go get "${K8S_PKGS[@]}") >"${WORK}/go-get.log" 2>&1; then
  tail -n 40 "${WORK}/go-get.log" >&2
  die "go get of the k8s commands failed (module proxy unreachable, or a staging module missing at ${STAGING_VERSION}?)"
fi
log "k8s modules ready in $(elapsed "$t0")"

K8S_MINOR="${K8S_VERSION#v1.}"
K8S_MINOR="${K8S_MINOR%%.*}"
K8S_LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  K8S_LDFLAGS+=" -X ${pkg}.gitVersion=${K8S_VERSION}"
  K8S_LDFLAGS+=" -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${K8S_MINOR}"
  # The module zip carries no git metadata: the commit stays empty and the tree state says "archive" (as for a
  # build from a source tarball in upstream hack/lib/version.sh).
  K8S_LDFLAGS+=" -X ${pkg}.gitCommit= -X ${pkg}.gitTreeState=archive -X ${pkg}.buildDate=${BUILD_DATE}"
done

# One binary per `go build`: shared packages are compiled once (GOCACHE) and only one linker runs at a time,
# which keeps peak memory low; it also gives per-binary progress.
for c in "${K8S_CMDS[@]}"; do
  run_go "$c" "$K8S_MOD_DIR" go build \
    "${COMMON_BUILD_FLAGS[@]}" -ldflags "$K8S_LDFLAGS" -o "${WORK}/out/${c}" "k8s.io/kubernetes/cmd/${c}"
done
cp "${K8S_MOD_DIR}/go.mod" "${WORK}/out/k8s-wrapper.go.mod"

# ---------------------------------------------------------------------------------------------------------------------
# 2. etcd and kwok, each from its own throw-away wrapper module (never mixed with the k8s one: minimal version
#    selection would otherwise move shared dependencies away from what each project was tested with).
#    etcd's server go.mod has relative replaces, so `go install ...@version` is refused; its requires use real
#    versions, so the wrapper needs no replace lines. kwok could be `go install`ed, but `go install pkg@version` looks
#    up module deprecations online and fails with GOPROXY=off even when everything is cached; a wrapper does not.
# build_from_wrapper LABEL NAME MODULE VERSION PACKAGE LDFLAGS
build_from_wrapper() {
  local label="$1" name="$2" module="$3" version="$4" pkg="$5" ldflags="$6"
  local dir="${WORK}/src/${name}" gomod
  mkdir -p "$dir"
  gomod="$(module_file "${module}@${version}" GoMod)"
  {
    echo "// Generated by hack/cluster/build.sh; throw-away wrapper to build ${pkg} from the module proxy."
    echo "module paissive.local/ctrlplane/${name}"
    echo
    grep -m1 -E '^go [0-9]' "$gomod"
    echo
    echo "require ${module} ${version}"
  } >"${dir}/go.mod"
  if ! (cd "$dir" && go get "${pkg}@${version}") >"${WORK}/go-get.log" 2>&1; then
    tail -n 40 "${WORK}/go-get.log" >&2
    die "go get ${pkg}@${version} failed (is the Go module proxy reachable?)"
  fi
  run_go "$label" "$dir" go build "${COMMON_BUILD_FLAGS[@]}" -ldflags "$ldflags" -o "${WORK}/out/${name}" "$pkg"
}

build_from_wrapper "etcd ${ETCD_VERSION}" etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" \
  go.etcd.io/etcd/server/v3 "-s -w"
build_from_wrapper "kwok ${KWOK_VERSION}" kwok sigs.k8s.io/kwok "$KWOK_VERSION" \
  sigs.k8s.io/kwok/cmd/kwok "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
build_from_wrapper "helm ${HELM_VERSION}" helm helm.sh/helm/v3 "$HELM_VERSION" \
  helm.sh/helm/v3/cmd/helm "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"

KWOK_DIR="$(module_file "sigs.k8s.io/kwok@${KWOK_VERSION}" Dir)"
[[ -d "$KWOK_DIR" ]] || die "go mod download did not report a source directory for sigs.k8s.io/kwok@${KWOK_VERSION}"

# kwok >= v0.8.0 has no built-in stages: collect the "fast" set (what kwokctl uses by default) from the module
# source. node-initialize keeps a node's own .status.capacity/.allocatable (our GPU counts) when it has them.
STAGE_FILES=(
  kustomize/stage/node/fast/node-initialize.yaml
  kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
  kustomize/stage/pod/fast/pod-ready.yaml
  kustomize/stage/pod/fast/pod-complete.yaml
  kustomize/stage/pod/fast/pod-delete.yaml
)
{
  echo "# kwok Stage objects copied from sigs.k8s.io/kwok@${KWOK_VERSION} (kustomize/stage/...) by hack/cluster/build.sh."
  for f in "${STAGE_FILES[@]}"; do
    [[ -f "${KWOK_DIR}/${f}" ]] || die "kwok stage file missing from the module: ${f}"
    echo "---"
    echo "# ${f}"
    cat "${KWOK_DIR}/${f}"
  done
} >"${WORK}/out/stages.yaml"

# ---------------------------------------------------------------------------------------------------------------------
# Sanity check, record what was built, then publish atomically.
"${WORK}/out/kube-apiserver" --version >&2
"${WORK}/out/kubectl" version --client >&2
"${WORK}/out/etcd" --version >&2
"${WORK}/out/kwok" --version >&2 || true
"${WORK}/out/helm" version >&2
{
  echo "key=${KEY}"
  echo "k8s=${K8S_VERSION}"
  echo "etcd=${ETCD_VERSION}"
  echo "kwok=${KWOK_VERSION}"
  echo "helm=${HELM_VERSION}"
  echo "go=${GO_VERSION}"
  echo "platform=${GOOS}/${GOARCH}"
  echo "built=${BUILD_DATE}"
  echo "build_seconds=$(($(date +%s) - START_TS))"
} >"${WORK}/out/BUILD_OK"

if [[ -e "$OUT_DIR" ]]; then
  # Incomplete (no BUILD_OK) or --force: move the old directory aside first; rename cannot replace a non-empty dir.
  OLD="$(mktemp -d "${CACHE_ROOT}/.old-${KEY}.XXXXXX")"
  mv -T "$OUT_DIR" "${OLD}/d"
  rm -rf "$OLD"
fi
mv -T "${WORK}/out" "$OUT_DIR"
log "done in $(elapsed "$START_TS"): ${OUT_DIR}"
echo "$OUT_DIR"
