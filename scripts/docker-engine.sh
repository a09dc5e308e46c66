#!/usr/bin/env bash
# A private Docker engine for the Docker-mode tests: its own socket, data root and exec root, so it
# never touches a system dockerd (or another engineer's). The data root lives in the cache
# (${MOODLE_PERCIPIO_CACHE:-~/.cache/moodle-percipio-iac}/docker/engine), so images built by one run
# are there for the next; a fresh machine starts with an empty one.
#
#   scripts/docker-engine.sh start   # installs docker.io/mmdebstrap/iptables if missing, starts dockerd
#   scripts/docker-engine.sh stop    # stops the dockerd this script started
#   scripts/docker-engine.sh host    # prints the DOCKER_HOST value (unix://…)
#
# Flags as verified on these machines (no Docker Hub, no host iptables): no default bridge, no
# iptables rules, overlay2. dockerd still needs the iptables binary on PATH for each container's
# embedded DNS, without which container names on a network do not resolve.
set -euo pipefail

cache="${MOODLE_PERCIPIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/moodle-percipio-iac}"
engine_dir="$cache/docker/engine"
data_root="$engine_dir/data-root"
# exec-root holds containerd's sockets, whose paths must stay short (108 bytes).
# One per cache folder, so engines of different caches never share containerd's state.
exec_root="/tmp/mpi-dockerd-$(printf '%s' "$engine_dir" | sha256sum | cut -c1-8)"
socket="$engine_dir/docker.sock"
pidfile="$engine_dir/dockerd.pid"
log="$engine_dir/dockerd.log"
export PATH="/usr/sbin:/sbin:$PATH"

say() { echo "[docker-engine] $*" >&2; }

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

answers() {
  DOCKER_HOST="unix://$socket" docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v iptables >/dev/null || missing+=(iptables)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    say "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
    exit 1
  fi
  say "installing ${missing[*]} from Debian"
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
}

start() {
  install_packages
  mkdir -p "$data_root" "$exec_root"
  if running && answers; then
    say "already running (pid $(cat "$pidfile")) on unix://$socket"
    return 0
  fi
  rm -f "$socket"
  say "starting dockerd (data root $data_root, socket $socket, log $log)"
  nohup dockerd \
    --data-root "$data_root" --exec-root "$exec_root" --pidfile "$pidfile" \
    -H "unix://$socket" --storage-driver=overlay2 \
    --iptables=false --ip6tables=false --bridge=none >"$log" 2>&1 &
  local i
  for i in $(seq 1 120); do
    if answers; then
      say "dockerd $(DOCKER_HOST="unix://$socket" docker version --format '{{.Server.Version}}') ready after $((i / 2))s"
      return 0
    fi
    sleep 0.5
  done
  say "dockerd did not answer within 60s; last lines of $log:"
  tail -20 "$log" >&2
  exit 1
}

stop() {
  if ! running; then
    say "not running"
    return 0
  fi
  local pid
  pid="$(cat "$pidfile")"
  say "stopping dockerd (pid $pid)"
  kill "$pid"
  local i
  for i in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
    sleep 0.5
  done
  say "dockerd (pid $pid) did not stop within 30s; killing it"
  kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  host) echo "unix://$socket" ;;
  *) echo "usage: $0 start|stop|host" >&2; exit 2 ;;
esac
