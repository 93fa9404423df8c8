#!/usr/bin/env bash
# The README's main job on a fresh machine: installs what kiln needs (Debian's archive keyring, npm ci),
# builds kiln, then builds examples/hello-python on a distroless Debian bookworm python3 base assembled
# from Debian packages into ./out (an OCI layout and a docker-archive). No registry, no Docker daemon.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f /usr/share/keyrings/debian-archive-keyring.gpg ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq debian-archive-keyring >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
node bin/kiln.js build examples/hello-python \
  -o oci:out/hello-python:latest \
  -o docker-archive:out/hello-python.tar:kiln/hello-python:latest "$@"
