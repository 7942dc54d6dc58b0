#!/usr/bin/env bash
# Installs what builds and runs the image on this machine, from Debian's packages (`make image-tools`):
#   buildah      builds Dockerfile (hack/image/build.sh prefers it; no daemon)
#   podman       runs the built image (test/image/image.test.ts) and shares buildah's image storage
#   crun, runc   OCI runtimes: podman's default (crun), and runc, which the image test prefers because
#                crun 1.8 refuses hosts with hybrid cgroups (v1 controllers beside a v2 mount), as in containers
#   debootstrap  makes the local base image from Debian packages (hack/image/local-base.sh)
#   uidmap, fuse-overlayfs, slirp4netns   what podman needs when it runs rootless
# Idempotent: when every command is on PATH it installs nothing and only prints the versions.
# Usage: hack/image/install-tools.sh
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

missing=0
for tool in buildah podman crun runc debootstrap; do
  command -v "$tool" >/dev/null 2>&1 || missing=1
done

if [[ "$missing" == 1 ]]; then
  SUDO=""
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-tools: need root or sudo to apt-get install" >&2; exit 1; }
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends \
    buildah podman crun runc debootstrap uidmap fuse-overlayfs slirp4netns ca-certificates >/dev/null
fi

buildah --version
podman --version
