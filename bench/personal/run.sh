#!/usr/bin/env bash
# The personalised lift on the synthetic shop (issue #4): LambdaMART with and without the users' collaborative
# features, cross-validated on the same queries, and the paired comparison of the two.
# Shop: generate --products 10000 --users 1000 --seed 42. Cut: day 7 (2017-12-01 00:00 +08:00); the collaborative
# models learn from the events before it; evaluated: the queries after it that led to a purchase, judged by the
# purchases alone; each user's history is read up to their query's time.
# Usage: bench/personal/run.sh; work files go to out/bench-personal/.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=out/bench-personal
CUT=1512057600
dotnet build src/SearchRec.Cli -c Release -v q -nologo >/dev/null
S="dotnet src/SearchRec.Cli/bin/Release/net10.0/searchrec.dll"
mkdir -p "$W"
[ -f "$W/shop/catalog.jsonl" ] || $S generate --products 10000 --users 1000 --seed 42 --out "$W/shop"
python3 - "$W" "$CUT" <<'PY'
import sys
w, cut = sys.argv[1], int(sys.argv[2])
shop = w + "/shop/"
when = {}
for line in open(shop + "queries-users.tsv", encoding="utf-8"):
    qid, _, ts = line.rstrip("\n").split("\t")
    when[qid] = int(ts)
bought = {}
for line in open(shop + "qrels.tsv", encoding="utf-8"):
    f = line.split()
    if int(f[3]) == 2: bought.setdefault(f[0], []).append(line)
keep = {q for q, t in when.items() if t >= cut and q in bought}
def copy(src, dst, pick):
    with open(dst, "w", encoding="utf-8") as out:
        for line in open(src, encoding="utf-8"):
            if pick(line): out.write(line)
copy(shop + "queries.tsv", w + "/queries.tsv", lambda l: l.split("\t")[0] in keep)
copy(shop + "queries-users.tsv", w + "/queries-users.tsv", lambda l: l.split("\t")[0] in keep)
with open(w + "/qrels.tsv", "w", encoding="utf-8") as out:
    for q in sorted(keep): out.writelines(bought[q])
copy(shop + "events.csv", w + "/events-before.csv", lambda l: not l[0].isdigit() or int(l.split(",")[4]) < cut)
print(f"{len(keep)} purchase queries after the cut")
PY
rm -rf "$W/collab"
$S train-cf --events "$W/events-before.csv" --models "$W/collab"
Q=(--catalog "$W/shop/catalog.jsonl" --queries "$W/queries.tsv" --qrels "$W/qrels.tsv" --ranker bm25,lambdamart,linear)
echo "== without user features"
$S eval "${Q[@]}" --report "$W/anonymous.html" --run-out "$W/anonymous/run.run"
echo "== with the collaborative features (histories up to each query's time)"
$S eval "${Q[@]}" --query-users "$W/queries-users.tsv" --events "$W/shop/events.csv" --models "$W/collab" --report "$W/personal.html" --run-out "$W/personal/run.run"
$S compare "$W/anonymous/run.lambdamart.run" "$W/personal/run.lambdamart.run" --qrels "$W/qrels.tsv" --report "$W/compare.html"
