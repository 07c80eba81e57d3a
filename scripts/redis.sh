#!/bin/sh
# Finds a redis-server binary for the tests of the shared state store, installing the Debian package when missing.
# The package's service is never started: tests run their own redis-server on a free loopback port and stop it by
# PID (test/helpers/redis-server.ts).
#
#   scripts/redis.sh ensure   prints the redis-server binary's path (exit 0), or why it is unavailable (exit 1)
set -eu
. "$(dirname "$0")/debian-package.sh"

case "${1:-ensure}" in
  ensure)
    if binary=$(find_binary redis-server); then
      echo "$binary"
      exit 0
    fi
    wait_for_other_install redis
    if binary=$(find_binary redis-server); then
      echo "$binary"
      exit 0
    fi
    install_package redis-server redis-server || exit 1
    find_binary redis-server || { echo "redis-server installed but its binary was not found" >&2; exit 1; }
    ;;
  *)
    echo "usage: scripts/redis.sh ensure" >&2
    exit 2
    ;;
esac
