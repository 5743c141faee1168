#!/usr/bin/env bash
# From a text-only ranker to a personalised one through logged traffic (docs/ranking.md, thirteenth session).
# On the demo's synthetic shop: the store and collaborative models hold the events before the median query time;
# the later purchase queries are played against `serve` with the outside-judgment ranker R0 (60 %: traffic, whose
# searches are logged and whose purchases are posted as events), `train-ranker --feature-log` learns from the log,
# and R0, P0 (learned from a log of R0's own columns) and P (from a log of every feature, --log-features all) answer
# the other 40 %. Usage: bench/traffic/run.sh [QBQTC_DIR=../shared/data/qbqtc]; RANKER=DIR reuses a trained R0;
# INTERLEAVE=1 then compares the three online too (bench/traffic/interleave.sh).
# Work files go to out/bench-traffic/.
set -euo pipefail
cd "$(dirname "$0")/../.."
Q=${1:-../shared/data/qbqtc}
. bench/traffic/common.sh
[ -f "$W/shop/catalog.jsonl" ] || $S generate --products 20000 --users 1000 --seed 42 --out "$W/shop"
[ -d "$W/index" ] || $S index --catalog "$W/shop/catalog.jsonl" --index "$W/index"
$D split --shop "$W/shop" --out "$W"
[ -d "$W/collab" ] || $S train-cf --events "$W/events-before.csv" --models "$W/collab"
rm -f "$W/store.db"*
$S import-events --file "$W/events-before.csv" --db "$W/store.db"
[ -f "$R0/ranker.json" ] || $S train-ranker --ood-train "$Q/dev.jsonl" --ood-catalog "$Q/test_public.jsonl" \
  --window 50 --trees 1000 --leaves 64 --min-leaf 100 --folds 0 --models "$R0"

for mode in all ranker; do
  echo "== traffic, --log-features $mode"
  cp "$W/store.db" "$W/store-$mode.db"
  rm -f "$W/log-$mode.jsonl"*
  start "$W/store-$mode.db" "$R0" --feature-log "$W/log-$mode.jsonl" --log-features "$mode" --feature-log-mb 4000
  $D traffic --url "$URL" --queries "$W/traffic.tsv" --shop "$W/shop"
  stop
  rm -rf "$W/p-$mode"
  $S train-ranker --feature-log "$W/log-$mode.jsonl" --labels-from-events "$W/store-$mode.db" --models "$W/p-$mode"
done
for pair in "r0:$R0:all" "p0:$W/p-ranker:ranker" "p:$W/p-all:all"; do
  IFS=: read -r name ranker store <<< "$pair"
  echo "== held out, $name"
  start "$W/store-$store.db" "$ranker"
  $D heldout --url "$URL" --queries "$W/heldout.tsv" --shop "$W/shop" --out "$W/heldout-$name.tsv"
  stop
done
# The same comparisons with the project's own command over the TREC runs of the held-out searches.
$S compare "$W/heldout-r0.run" "$W/heldout-p.run" --qrels "$W/heldout-qrels.tsv" --report "$W/compare-r0-p.html"
$S compare "$W/heldout-p0.run" "$W/heldout-p.run" --qrels "$W/heldout-qrels.tsv" --report "$W/compare-p0-p.html"
$S compare "$W/heldout-r0.run" "$W/heldout-p0.run" --qrels "$W/heldout-qrels.tsv" --report "$W/compare-r0-p0.html"
$D compare "$W/heldout-p.tsv" "$W/heldout-r0.tsv"
$D compare "$W/heldout-p.tsv" "$W/heldout-p0.tsv"
$D compare "$W/heldout-p0.tsv" "$W/heldout-r0.tsv"
if [ "${INTERLEAVE:-0}" = 1 ]; then bench/traffic/interleave.sh; fi
