#!/usr/bin/env bash
# Installs and starts the real components kiln's tests talk to, and stops what it started.
#   scripts/test-services.sh install   apt-get the tools (docker.io, docker-registry, skopeo, umoci, zsh, fish, ...)
#   scripts/test-services.sh start     start dockerd (unless one answers) and two registries
#   scripts/test-services.sh stop      stop what start started
#   scripts/test-services.sh env       print the variables tests read (sourceable)
# State lives in $KILN_TEST_STATE (default /tmp/kiln-test-services).
set -euo pipefail

STATE=${KILN_TEST_STATE:-/tmp/kiln-test-services}
REGISTRY_PORT=${KILN_TEST_REGISTRY_PORT:-5000}
AUTH_REGISTRY_PORT=${KILN_TEST_AUTH_REGISTRY_PORT:-5001}
AUTH_USER=kiln
AUTH_PASSWORD=kiln-test-password
PACKAGES=(docker.io docker-registry skopeo umoci buildah apache2-utils gnupg debian-archive-keyring
  python3-installer python3-pip-whl python3-setuptools-whl python3-wheel-whl python3-poetry python3-sklearn xz-utils zstd curl
  busybox-static openssl time debootstrap qemu-user-static binfmt-support chromium zsh fish)

log() { printf 'test-services: %s\n' "$*" >&2; }

install() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then log "all packages present"; return; fi
  log "installing ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2; shift 2
  for _ in $(seq 1 $((seconds * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "timed out waiting for $what"; return 1
}

start_registry() { # start_registry NAME PORT [htpasswd]
  local name=$1 port=$2 auth=${3:-}
  local dir="$STATE/$name"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    log "registry $name already running (pid $(cat "$dir/pid"))"; return
  fi
  if curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then
    log "port $port is taken by something this script did not start"; return 1
  fi
  mkdir -p "$dir/data"
  {
    echo "version: 0.1"
    echo "log: {level: warn}"
    echo "storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}"
    echo "http: {addr: 127.0.0.1:$port}"
    if [ "$auth" = htpasswd ]; then
      htpasswd -Bbc "$dir/htpasswd" "$AUTH_USER" "$AUTH_PASSWORD" >/dev/null 2>&1
      echo "auth: {htpasswd: {realm: kiln-test, path: $dir/htpasswd}}"
    fi
  } > "$dir/config.yml"
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  echo $! > "$dir/pid"
  wait_for 20 "registry $name on :$port" curl -s -o /dev/null "http://127.0.0.1:$port/v2/"
  log "registry $name listening on 127.0.0.1:$port${auth:+ ($auth)}"
}

start_dockerd() {
  if docker info >/dev/null 2>&1; then log "dockerd already answers"; return; fi
  mkdir -p "$STATE/dockerd"
  dockerd --data-root "$STATE/dockerd/data" --pidfile "$STATE/dockerd/dockerd.pid" >"$STATE/dockerd/log" 2>&1 &
  echo $! > "$STATE/dockerd/pid"
  wait_for 60 dockerd docker info || { tail -20 "$STATE/dockerd/log" >&2; return 1; }
  log "dockerd started"
}

# Multi-arch tests run the arm64 image under emulation: qemu-user-static registers itself with binfmt_misc (flag F,
# so it works inside containers), which needs the filesystem mounted (containers often lack it).
start_binfmt() {
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || { log "cannot mount binfmt_misc: arm64 images will not run"; return 0; }
  fi
  command -v update-binfmts >/dev/null && update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && log "binfmt_misc: qemu-aarch64 registered" || log "binfmt_misc: no qemu-aarch64 (install qemu-user-static)"
}

start() {
  mkdir -p "$STATE"
  start_binfmt
  start_dockerd
  start_registry registry "$REGISTRY_PORT"
  start_registry auth-registry "$AUTH_REGISTRY_PORT" htpasswd
  env_vars > "$STATE/env"
}

stop_pidfile() {
  local file=$1
  [ -f "$file" ] || return 0
  local pid; pid=$(cat "$file")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$file"
}

stop() {
  stop_pidfile "$STATE/registry/pid"
  stop_pidfile "$STATE/auth-registry/pid"
  stop_pidfile "$STATE/dockerd/pid"
  rm -rf "$STATE/registry" "$STATE/auth-registry"
  log "stopped"
}

env_vars() {
  echo "export KILN_TEST_SERVICES=1"
  echo "export KILN_TEST_REGISTRY=127.0.0.1:$REGISTRY_PORT"
  echo "export KILN_TEST_AUTH_REGISTRY=127.0.0.1:$AUTH_REGISTRY_PORT"
  echo "export KILN_TEST_AUTH_USER=$AUTH_USER"
  echo "export KILN_TEST_AUTH_PASSWORD=$AUTH_PASSWORD"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) env_vars ;;
  *) echo "usage: $0 install|start|stop|env" >&2; exit 2 ;;
esac
