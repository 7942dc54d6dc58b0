#!/usr/bin/env bash
# Installs Prometheus and promtool from Debian's `prometheus` package, which the monitoring tests run:
#   promtool    checks and unit-tests the chart's alert rules (charts/paissive/files/alerts)
#   prometheus  scrapes a running router, runtime and operator so every dashboard query and alert
#               expression can be evaluated against real series (test/monitoring)
# Idempotent: when both binaries are on PATH it installs nothing. The package's own service is never left
# running (a policy-rc.d forbids starting it during the install; the tests start their own prometheus on a
# free loopback port with a temporary storage directory).
# Usage: hack/monitoring/install-tools.sh     (prints the versions)
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  SUDO=""
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-tools: need root or sudo to apt-get install prometheus" >&2; exit 1; }
    SUDO="sudo"
  fi
  # invoke-rc.d consults /usr/sbin/policy-rc.d: exit 101 means "do not start services". Only ours is removed.
  policy=/usr/sbin/policy-rc.d
  placed=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    placed=1
  fi
  trap '[[ $placed == 1 ]] && $SUDO rm -f "$policy"' EXIT
  echo "install-tools: apt-get install prometheus (Debian package; promtool included)" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends prometheus >&2 ||
    { $SUDO apt-get -o DPkg::Lock::Timeout=600 update >&2 && $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends prometheus >&2; }
  # Where a policy-rc.d of someone else's let the service start anyway, stop it: the tests run their own.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
    $SUDO systemctl stop prometheus || true
  fi
fi

promtool --version 2>&1 | head -1
prometheus --version 2>&1 | head -1
