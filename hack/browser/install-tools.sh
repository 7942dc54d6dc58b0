#!/usr/bin/env bash
# Installs Debian's `chromium` package, the browser the dashboard tests (test/dashboard) drive through
# playwright-core. Debian's build is used rather than a browser download from a CDN: it comes from the same
# signed apt archive as every other system package and gets Debian's security updates.
# Idempotent: when /usr/bin/chromium exists it installs nothing.
# Usage: hack/browser/install-tools.sh     (prints the version)
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

if [[ ! -x /usr/bin/chromium ]]; then
  SUDO=""
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-tools: need root or sudo to apt-get install chromium" >&2; exit 1; }
    SUDO="sudo"
  fi
  echo "install-tools: apt-get install chromium (Debian package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium >&2 ||
    { $SUDO apt-get -o DPkg::Lock::Timeout=600 update >&2 && $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium >&2; }
fi

/usr/bin/chromium --version 2>/dev/null | head -1
