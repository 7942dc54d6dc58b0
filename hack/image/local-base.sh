#!/usr/bin/env bash
# Builds (once) a base image from Debian packages that stands in for the pinned Node image where Docker Hub
# cannot be reached, so the real Dockerfile can be built and run here:
#   hack/image/build.sh cpu  with  BASE_IMAGE=$(hack/image/local-base.sh)
# It is Debian ${LOCAL_BASE_SUITE:-trixie} (minbase) with Debian's nodejs and npm (trixie: Node 20.19, npm 9.2),
# made with debootstrap from the mirror apt uses here. It proves the Dockerfile builds and the image runs; the
# production base stays the Node 24 image pinned in the Dockerfile. The CA certificates this machine adds
# (/usr/local/share/ca-certificates: e.g. a proxy's) are trusted in it too, so npm ci works behind them.
#
# Cached: the image is tagged localhost/paissive-local-base:<key> in podman's storage (which buildah shares),
# and its root filesystem is kept as ${PAISSIVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/paissive}/image/
# local-base-<key>.tar, where <key> hashes every input (suite, mirror, packages, architecture, added CAs,
# recipe). A second run is a no-op; with the tar but not the image it re-imports (seconds, not minutes).
# Progress goes to stderr; the image reference is printed on stdout. Needs root, debootstrap and podman.
# Usage: hack/image/local-base.sh [--force]
set -euo pipefail

SUITE="${LOCAL_BASE_SUITE:-trixie}"
PACKAGES="nodejs npm"
# Bump when the recipe below changes, so an old cache is not reused.
RECIPE_REVISION="r1"
CACHE_DIR="${PAISSIVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/paissive}/image"
CA_DIR=/usr/local/share/ca-certificates

log() { printf '[local-base %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf '[local-base] ERROR: %s\n' "$*" >&2
  exit 1
}

FORCE=0
[[ $# -le 1 ]] || die "one argument at most (--force)"
case "${1:-}" in
  "") ;;
  --force) FORCE=1 ;;
  -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' && exit 0 ;;
  *) die "unknown argument: $1" ;;
esac

# The Debian mirror apt already uses (deb822 URIs: or one-line deb entries), else Debian's redirector.
mirror() {
  local uri
  uri="$(grep -h -o -E '(URIs:|^deb)[[:space:]]+[a-z]+://[^[:space:]]+/debian/?([[:space:]]|$)' \
    /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -n1 || true)"
  echo "${LOCAL_BASE_MIRROR:-${uri:-http://deb.debian.org/debian}}"
}

MIRROR="$(mirror)"
ARCH="$(dpkg --print-architecture 2>/dev/null || uname -m)"
ca_digest="$(cat "$CA_DIR"/*.crt 2>/dev/null | sha256sum | cut -c1-64)"
key="$(printf '%s\n' "$RECIPE_REVISION" "$SUITE" "$MIRROR" "$PACKAGES" "$ARCH" "$ca_digest" | sha256sum | cut -c1-16)"
ref="localhost/paissive-local-base:$key"
tar_path="$CACHE_DIR/local-base-$key.tar"

command -v podman >/dev/null 2>&1 || die "podman is not installed (make image-tools)"
mkdir -p "$CACHE_DIR"
# Serialises concurrent callers (parallel test runs) on this cache.
exec 9>"$CACHE_DIR/.local-base.lock"
flock 9

if [[ "$FORCE" == 0 ]] && podman image exists "$ref"; then
  echo "$ref"
  exit 0
fi

if [[ "$FORCE" == 1 || ! -s "$tar_path" ]]; then
  [[ "$(id -u)" == 0 ]] || die "debootstrap needs root"
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed (make image-tools)"
  work="$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  log "debootstrap $SUITE from $MIRROR (minbase; a few minutes, once)"
  # debootstrap resolves dependencies naively (npm's alternatives defeat it): only the minimal system here,
  # then apt inside the new root installs nodejs and npm.
  debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
    die "debootstrap failed: $(tail -n 5 "$work/debootstrap.log")"
  if compgen -G "$CA_DIR/*.crt" >/dev/null; then
    cp "$CA_DIR"/*.crt "$work/rootfs/usr/local/share/ca-certificates/"
    chroot "$work/rootfs" update-ca-certificates >/dev/null 2>&1
  fi
  log "apt-get install $PACKAGES"
  chroot "$work/rootfs" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-unsafe-io $PACKAGES \
    && apt-get clean" >"$work/apt.log" 2>&1 ||
    die "apt-get in the new root failed: $(tail -n 5 "$work/apt.log")"
  rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin "$work/rootfs/debootstrap"
  tar --numeric-owner -C "$work/rootfs" -cf "$tar_path.partial" .
  mv "$tar_path.partial" "$tar_path"
  log "cached $tar_path ($(du -h "$tar_path" | cut -f1))"
fi

log "importing $tar_path as $ref"
# Node reads only its own CA list unless told: the system bundle holds the CAs added above.
podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  "$tar_path" "$ref" >/dev/null
echo "$ref"
