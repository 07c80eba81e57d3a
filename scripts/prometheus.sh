#!/bin/sh
# Finds a Prometheus server binary for the end-to-end tests, installing the Debian package when missing.
# The package's service is never started: tests run their own process on loopback and stop it by PID.
#
#   scripts/prometheus.sh ensure   prints the prometheus binary's path (exit 0), or why it is unavailable (exit 1)
#   scripts/prometheus.sh promtool prints the promtool binary's path, installing the package when missing
set -eu
. "$(dirname "$0")/debian-package.sh"

case "${1:-ensure}" in
  ensure)
    if binary=$(find_binary prometheus); then
      echo "$binary"
      exit 0
    fi
    install_package prometheus prometheus || exit 1
    find_binary prometheus || { echo "prometheus installed but its binary was not found" >&2; exit 1; }
    ;;
  promtool)
    # promtool ships in the same Debian package.
    find_binary promtool && exit 0
    find_binary prometheus >/dev/null || install_package prometheus prometheus || exit 1
    find_binary promtool || { echo "prometheus installed but promtool was not found" >&2; exit 1; }
    ;;
  *)
    echo "usage: scripts/prometheus.sh ensure|promtool" >&2
    exit 2
    ;;
esac
