#!/usr/bin/env bash
# Runs SearchRec's whole test suite. Installs what the tests use from outside .NET when it can
# (as root on Debian: redis-server, chromium, python3-onnx; playwright-core from npm), then `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
python3 -c 'import onnx' >/dev/null 2>&1 || need+=(python3-onnx)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "test.sh: missing ${need[*]}; the tests that need them will be skipped (install them to run those)."
  fi
fi
if [ -f tests/e2e/package.json ] && command -v npm >/dev/null 2>&1 && [ ! -d tests/e2e/node_modules ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error) || echo "test.sh: npm install failed; browser tests will be skipped."
fi

dotnet test SearchRec.sln -c Release "$@"
