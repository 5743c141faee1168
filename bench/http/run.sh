#!/usr/bin/env bash
# HTTP load test on a synthetic shop: builds the shop once (generate, index, events, collaborative models, a
# LambdaMART ranker on 1,500 judged queries), starts `searchrec serve` on loopback, runs `searchrec bench http`
# uncached and with a 30% repeat rate plus a reload during the run, then stops the service.
# Usage: bench/http/run.sh [PRODUCTS=100000] [REQUESTS=3000] [CLIENTS=8]; work files go to out/bench-http/.
set -euo pipefail
cd "$(dirname "$0")/../.."
PRODUCTS=${1:-100000}
REQUESTS=${2:-3000}
CLIENTS=${3:-8}
PORT=${PORT:-5090}
W=out/bench-http/$PRODUCTS
export SEARCHREC_API_KEY=${SEARCHREC_API_KEY:-bench-admin-key-0123456789}
dotnet build src/SearchRec.Cli -c Release -v q -nologo >/dev/null
S="dotnet src/SearchRec.Cli/bin/Release/net10.0/searchrec.dll"
mkdir -p "$W"
if [ ! -f "$W/ranker/ranker.json" ]; then
  $S generate --products "$PRODUCTS" --users $((PRODUCTS / 20)) --out "$W/shop"
  $S index --catalog "$W/shop/catalog.jsonl" --index "$W/index"
  $S import-events --file "$W/shop/events.csv" --db "$W/events.db"
  $S train-cf --events "$W/shop/events.csv" --models "$W/collab"
  head -1500 "$W/shop/queries.tsv" > "$W/q1500.tsv"
  awk 'NR==FNR{k[$1]=1;next} ($1 in k)' "$W/q1500.tsv" "$W/shop/qrels.tsv" > "$W/qrels1500.tsv"
  $S train-ranker --catalog "$W/shop/catalog.jsonl" --queries "$W/q1500.tsv" --qrels "$W/qrels1500.tsv" --folds 0 --trees 100 --models "$W/ranker"
fi
cp "$W/events.db" "$W/events-run.db"
$S serve --index "$W/index" --collab "$W/collab" --events "$W/events-run.db" --ranker "$W/ranker" \
  --queries "$W/shop/queries.tsv" --urls "http://127.0.0.1:$PORT" > "$W/serve.log" 2>&1 &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true' EXIT
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
echo "== uncached (every query new)"
$S bench http --url "http://127.0.0.1:$PORT" --requests "$REQUESTS" --clients "$CLIENTS" --repeat-rate 0 --seed 4 --json "$W/uncached.json"
echo "== 30% repeated queries, reload during the run"
# Four times the requests: a reload reads the catalog in and warms up before it swaps (about 10 s at 100k products).
$S bench http --url "http://127.0.0.1:$PORT" --requests $((REQUESTS * 4)) --clients "$CLIENTS" --repeat-rate 0.3 --reload-during --seed 3 --json "$W/repeat30-reload.json"
