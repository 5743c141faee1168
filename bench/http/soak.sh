#!/usr/bin/env bash
# Memory soak of the HTTP service: rounds of `searchrec bench http` (70 % new queries) against one service, printing
# its resident memory and open files before each round; with --reload, a POST /admin/reload after each round too.
# The service's memory should level off (the answer cache is bounded by --cache-mb) and its open files stay flat.
# Usage: bench/http/soak.sh [ROUNDS=16] [REQUESTS=3000] [--reload] [serve options, e.g. --cache-mb 64]
# Uses the 100k shop that bench/http/run.sh builds (run that first); work files go to out/bench-http/soak/.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-16}
REQUESTS=${2:-3000}
shift $(( $# < 2 ? $# : 2 ))
RELOAD=0
if [ "${1:-}" = --reload ]; then RELOAD=1; shift; fi
PORT=${PORT:-5095}
W=out/bench-http/100000
[ -f "$W/ranker/ranker.json" ] || { echo "soak.sh: run bench/http/run.sh first (it builds $W)" >&2; exit 2; }
export SEARCHREC_API_KEY=${SEARCHREC_API_KEY:-bench-admin-key-0123456789}
dotnet build src/SearchRec.Cli -c Release -v q -nologo >/dev/null
S="dotnet src/SearchRec.Cli/bin/Release/net10.0/searchrec.dll"
mkdir -p out/bench-http/soak
cp "$W/events.db" out/bench-http/soak/events.db
$S serve --index "$W/index" --collab "$W/collab" --events out/bench-http/soak/events.db --ranker "$W/ranker" \
  --queries "$W/shop/queries.tsv" --urls "http://127.0.0.1:$PORT" "$@" > out/bench-http/soak/serve.log 2>&1 &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true' EXIT
for _ in $(seq 180); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
echo "round  rss_mb  open_files"
for r in $(seq 0 "$ROUNDS"); do
  printf '%5d  %6d  %10d\n' "$r" $(( $(ps -o rss= -p $SERVE) / 1024 )) "$(ls /proc/$SERVE/fd | wc -l)"
  [ "$r" = "$ROUNDS" ] && break
  $S bench http --url "http://127.0.0.1:$PORT" --requests "$REQUESTS" --clients 4 --repeat-rate 0.3 --seed "$r" > out/bench-http/soak/bench-$r.log 2>&1 \
    || { echo "bench http failed in round $r (out/bench-http/soak/bench-$r.log)" >&2; exit 1; }
  if [ $RELOAD = 1 ]; then
    curl -sf -X POST -H "X-Api-Key: $SEARCHREC_API_KEY" "http://127.0.0.1:$PORT/admin/reload" >/dev/null \
      || { echo "reload failed in round $r" >&2; exit 1; }
  fi
done
