# Sourced by scripts/prometheus.sh and scripts/redis.sh: find a binary, or install the Debian package that ships it
# without letting the package start its service. Tests run their own processes on loopback and stop them by PID.

find_binary() {
  command -v "$1" 2>/dev/null || { [ -x "/usr/bin/$1" ] && echo "/usr/bin/$1"; } || return 1
}

# PIDs of running daemons named $1, to stop only one the package's postinst might start.
daemon_pids() {
  pgrep -x "$1" 2>/dev/null | sort || true
}

# install_package PACKAGE DAEMON: apt-get install PACKAGE as root; a DAEMON process it starts anyway is stopped.
install_package() {
  package=$1
  daemon=$2
  if [ "$(id -u)" != 0 ]; then
    echo "$package is not installed and installing it needs root (apt-get install $package)" >&2
    return 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$package is not installed and apt-get is not available" >&2
    return 1
  fi
  candidate=$(apt-cache policy "$package" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
  if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
    # A fresh machine may have no package lists yet.
    apt-get update -q -o DPkg::Lock::Timeout=120 >&2 || true
    candidate=$(apt-cache policy "$package" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
  fi
  if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
    echo "no installable Debian package '$package' (apt-cache policy $package shows no candidate)" >&2
    return 1
  fi
  # policy-rc.d exiting 101 forbids invoke-rc.d / deb-systemd-invoke to start services during the install.
  created_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  before=$(daemon_pids "$daemon")
  status=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=120 "$package" >&2 || status=$?
  [ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d
  for pid in $(daemon_pids "$daemon"); do
    if ! printf '%s\n' "$before" | grep -qx "$pid"; then
      echo "stopping $daemon daemon $pid started by the package install" >&2
      kill "$pid" 2>/dev/null || true
    fi
  done
  return "$status"
}

# wait_for_other_install NAME: test files start in parallel; one installs, the others wait for it (fd 9 holds the
# lock until the calling script exits).
wait_for_other_install() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"${TMPDIR:-/tmp}/semantic-router-$1-install.lock"
  flock -w 600 9 || { echo "timed out waiting for another $1 install" >&2; exit 1; }
}
