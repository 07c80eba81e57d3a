#!/bin/sh
# Finds a redis-server binary for the tests of the shared state store, installing the Debian package when missing.
# The package's service is never started: tests run their own redis-server on a free loopback port and stop it by
# PID (test/helpers/redis-server.ts).
#
#   scripts/redis.sh ensure   prints the redis-server binary's path (exit 0), or why it is unavailable (exit 1)
set -eu

find_binary() {
  command -v redis-server 2>/dev/null || { [ -x /usr/bin/redis-server ] && echo /usr/bin/redis-server; } || return 1
}

# PIDs of running redis-server daemons, to stop only one the package's postinst might start.
daemon_pids() {
  pgrep -x redis-server 2>/dev/null | sort || true
}

install_package() {
  if [ "$(id -u)" != 0 ]; then
    echo "redis-server is not installed and installing it needs root (apt-get install redis-server)" >&2
    return 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "redis-server is not installed and apt-get is not available" >&2
    return 1
  fi
  candidate=$(apt-cache policy redis-server 2>/dev/null | sed -n 's/^ *Candidate: *//p')
  if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
    # A fresh machine may have no package lists yet.
    apt-get update -q -o DPkg::Lock::Timeout=120 >&2 || true
    candidate=$(apt-cache policy redis-server 2>/dev/null | sed -n 's/^ *Candidate: *//p')
  fi
  if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
    echo "no installable Debian package 'redis-server' (apt-cache policy redis-server shows no candidate)" >&2
    return 1
  fi
  # policy-rc.d exiting 101 forbids invoke-rc.d / deb-systemd-invoke to start services during the install.
  created_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  before=$(daemon_pids)
  status=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=120 redis-server >&2 || status=$?
  [ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d
  for pid in $(daemon_pids); do
    if ! printf '%s\n' "$before" | grep -qx "$pid"; then
      echo "stopping redis-server daemon $pid started by the package install" >&2
      kill "$pid" 2>/dev/null || true
    fi
  done
  return "$status"
}

case "${1:-ensure}" in
  ensure)
    if binary=$(find_binary); then
      echo "$binary"
      exit 0
    fi
    # Test files start in parallel: one installs, the others wait for it and then find the binary.
    if command -v flock >/dev/null 2>&1; then
      exec 9>"${TMPDIR:-/tmp}/semantic-router-redis-install.lock"
      flock -w 600 9 || { echo "timed out waiting for another redis-server install" >&2; exit 1; }
      if binary=$(find_binary); then
        echo "$binary"
        exit 0
      fi
    fi
    install_package || exit 1
    find_binary || { echo "redis-server installed but its binary was not found" >&2; exit 1; }
    ;;
  *)
    echo "usage: scripts/redis.sh ensure" >&2
    exit 2
    ;;
esac
