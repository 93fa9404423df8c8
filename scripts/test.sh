#!/usr/bin/env bash
# The README's test command: installs what the tests need (Debian packages, npm ci), starts the real
# services (dockerd, two docker-registry instances), type-checks, runs every test, stops the services.
# The last line printed is `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/test-services.sh install || exit 1
npm ci --no-audit --no-fund --loglevel=error || exit 1
scripts/test-services.sh start || exit 1
trap 'scripts/test-services.sh stop' EXIT
eval "$(scripts/test-services.sh env)"

if ! npx tsc --noEmit -p .; then
  echo "type check failed"
  echo "0 passed, 1 failed"
  exit 1
fi
node scripts/run-tests.mjs "$@"
