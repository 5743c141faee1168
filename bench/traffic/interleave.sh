#!/usr/bin/env bash
# The traffic bench's rankers compared live by team-draft interleaving (docs/ranking.md, twenty-first session), after
# bench/traffic/run.sh has left its work folder (out/bench-traffic/: the store as the traffic left it, R0, P0 = p-ranker,
# P = p-all). For each pair, control first: `serve --ranker A --challenger B --interleave-log L` over a fresh copy of
# that store; the held-out queries are searched as their users, each followed by a `buy` of every shown item (top 10)
# the query's user bought (nothing for items not shown); then `searchrec interleave-report` reads L and the store.
# Usage: bench/traffic/interleave.sh (RANKER=DIR as for run.sh). Writes out/bench-traffic/interleave-*.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/traffic/common.sh
for f in "$W/store-all.db" "$R0/ranker.json" "$W/p-ranker/ranker.json" "$W/p-all/ranker.json" "$W/heldout.tsv"; do
  [ -f "$f" ] || { echo "interleave.sh: $f is missing: run bench/traffic/run.sh first" >&2; exit 1; }
done
for pair in "r0-p:$R0:$W/p-all" "p0-p:$W/p-ranker:$W/p-all" "r0-p0:$R0:$W/p-ranker"; do
  IFS=: read -r name control challenger <<< "$pair"
  echo "== interleaving $name: control $control, challenger $challenger"
  rm -f "$W/store-interleave-$name.db"* "$W/interleave-$name.jsonl"*
  cp "$W/store-all.db" "$W/store-interleave-$name.db"
  start "$W/store-interleave-$name.db" "$control" --challenger "$challenger" --interleave-log "$W/interleave-$name.jsonl"
  $D interleave --url "$URL" --queries "$W/heldout.tsv" --shop "$W/shop" --out "$W/interleave-$name.tsv"
  stop
  $S interleave-report --log "$W/interleave-$name.jsonl"* --events "$W/store-interleave-$name.db" --report "$W/interleave-$name.html"
done
