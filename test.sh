#!/usr/bin/env bash
# Runs SearchRec's whole test suite. Installs what the tests use from outside .NET when it can
# (as root on Debian: redis-server, chromium, python3-onnx, python3-jieba; playwright-core from npm), then `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Chinese glyphs for the page screenshots the browser test keeps.
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || need+=(python3-onnx)
# The analyzer's agreement test cuts titles with Python jieba.
/usr/bin/python3 -c 'import jieba' >/dev/null 2>&1 || need+=(python3-jieba)
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

log=$(mktemp)
set +e
dotnet test SearchRec.sln -c Release "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# One closing line over all test assemblies, e.g. "tests: 120 passed, 0 failed, 2 skipped".
awk '/^(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { v = $(i+1); gsub(/,/, "", v);
       if ($i == "Passed:") p += v; else if ($i == "Failed:") f += v; else if ($i == "Skipped:") s += v } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$rc"
