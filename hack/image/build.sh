#!/usr/bin/env bash
# Builds the image (`make image`) or the GPU image (`make image-gpu`) with the first builder found: buildah,
# then podman, then docker (BUILDER overrides). Progress goes to stderr; the image reference is printed on
# stdout (so `ref=$(hack/image/build.sh cpu)` works). docs/image.md has the details.
#   cpu  Dockerfile      -> ${IMAGE}:${TAG}        (TAG defaults to package.json's version, the chart's appVersion)
#   gpu  Dockerfile.gpu  -> ${IMAGE}:${TAG}-gpu    (builds the cpu image first, unless APP_IMAGE names one)
# Overrides (environment):
#   IMAGE         repository (default ghcr.io/paissive/paissive, the chart's image.repository)
#   TAG           tag (see above)
#   BASE_IMAGE    the base image build argument: the Node image (cpu) or the CUDA + cuDNN image (gpu);
#                 unset: the digest pinned in the Dockerfile
#   APP_IMAGE     gpu only: an already built cpu image to put on the CUDA base
#   BUILDER       buildah | podman | docker
#   BUILD_FLAGS   extra flags for the builder, e.g. "--isolation chroot" inside a container
# Usage: hack/image/build.sh cpu|gpu
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
log() { printf '[image %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf '[image] ERROR: %s\n' "$*" >&2
  exit 1
}

variant="${1:-}"
case "$variant" in
  cpu | gpu) ;;
  -h | --help)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "usage: hack/image/build.sh cpu|gpu (got '${variant}')" ;;
esac

builder="${BUILDER:-}"
if [[ -z "$builder" ]]; then
  for candidate in buildah podman docker; do
    if command -v "$candidate" >/dev/null 2>&1; then
      builder="$candidate"
      break
    fi
  done
fi
[[ -n "$builder" ]] || die "no image builder: install buildah or podman (make image-tools) or docker"
command -v "$builder" >/dev/null 2>&1 || die "BUILDER=$builder is not on PATH"

version="$(node -p 'require(process.argv[1]).version' "$ROOT/package.json")"
revision="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
if [[ "$revision" != unknown && -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]]; then
  revision="${revision}-dirty"
fi
source_url="$(git -C "$ROOT" remote get-url origin 2>/dev/null || true)"
image="${IMAGE:-ghcr.io/paissive/paissive}"
tag="${TAG:-$version}"
read -r -a extra <<<"${BUILD_FLAGS:-}"

# One build: the builder's own command line, the same build arguments for both variants.
build() {
  local file="$1" ref="$2"
  shift 2
  local args=(--file "$ROOT/$file" --tag "$ref" --build-arg "VERSION=$version" --build-arg "REVISION=$revision"
    --build-arg "SOURCE=$source_url" "$@" "${extra[@]}")
  case "$builder" in
    buildah) buildah build --layers "${args[@]}" "$ROOT" >&2 ;;
    *) "$builder" build "${args[@]}" "$ROOT" >&2 ;;
  esac
}

# The base must be reachable before a long build starts; a missing one gets a message saying so.
check_base() {
  local base="$1" what="$2"
  local present=(image inspect)
  [[ "$builder" == buildah ]] && present=(inspect --type image)
  if "$builder" "${present[@]}" "$base" >/dev/null 2>&1; then return 0; fi
  "$builder" pull "$base" >&2 || die "cannot pull the $what base image $base (the error is above). Where its registry is out of reach, \
docs/image.md says what builds: the CPU image on a local base (BASE_IMAGE=\$(hack/image/local-base.sh)); \
the GPU image only on a machine that reaches its registry and NuGet."
}

# The base: BASE_IMAGE, else the digest pinned in the Dockerfile's `ARG BASE_IMAGE=` line.
pinned() { sed -n 's/^ARG BASE_IMAGE=//p' "$ROOT/$1"; }

if [[ "$variant" == cpu ]]; then
  ref="$image:$tag"
  base="${BASE_IMAGE:-$(pinned Dockerfile)}"
  check_base "$base" Node
  log "building $ref with $builder (Dockerfile, base $base)"
  build Dockerfile "$ref" --build-arg "BASE_IMAGE=$base"
else
  ref="$image:$tag-gpu"
  base="${BASE_IMAGE:-$(pinned Dockerfile.gpu)}"
  # Before the cpu build, so a machine that cannot build the GPU image says so at once.
  check_base "$base" "CUDA + cuDNN"
  app="${APP_IMAGE:-}"
  if [[ -z "$app" ]]; then
    app="$(IMAGE="$image" TAG="$tag" BASE_IMAGE="" bash "$0" cpu)"
  fi
  log "building $ref with $builder (Dockerfile.gpu, application $app, base $base)"
  build Dockerfile.gpu "$ref" --build-arg "APP_IMAGE=$app" --build-arg "BASE_IMAGE=$base"
fi
echo "$ref"
