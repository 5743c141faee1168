#!/usr/bin/env python3
"""Drives the traffic experiment of bench/traffic/run.sh against a running `searchrec serve`.

split    --shop DIR --out DIR   events before the median query time, and the later purchase queries split 60/40
                                 (with the held-out queries' bought items as TREC qrels)
traffic  --url U --queries F --shop DIR   search as each query's user, then post what they bought (buy) and viewed (pv)
heldout  --url U --queries F --shop DIR --out F   search as each user, write each query's nDCG@10 of its bought items
                                 (and the top 10 as a TREC run beside it, for `searchrec compare`)
compare  A B                     paired randomization test of two heldout files
"""
import argparse, json, math, random, sys, time, urllib.parse, urllib.request, os

def qrels(shop):
    judged = {}
    for line in open(os.path.join(shop, "qrels.tsv"), encoding="utf-8"):
        qid, _, doc, grade = line.split()
        judged.setdefault(qid, {})[doc] = int(grade)
    return judged

def split(a):
    times = {}
    for line in open(os.path.join(a.shop, "queries-users.tsv"), encoding="utf-8"):
        qid, user, ts = line.rstrip("\n").split("\t")
        times[qid] = (int(user), int(ts))
    texts = dict(line.rstrip("\n").split("\t", 1) for line in open(os.path.join(a.shop, "queries.tsv"), encoding="utf-8"))
    ordered = sorted(times.values(), key=lambda x: x[1])
    cut = ordered[len(ordered) // 2][1]
    kept = 0
    with open(os.path.join(a.out, "events-before.csv"), "w", encoding="utf-8") as out:
        for line in open(os.path.join(a.shop, "events.csv"), encoding="utf-8"):
            if int(line.rsplit(",", 1)[1]) < cut:
                out.write(line); kept += 1
    judged = qrels(a.shop)
    later = sorted((ts, qid, user) for qid, (user, ts) in times.items()
                   if ts >= cut and any(g == 2 for g in judged.get(qid, {}).values()))
    n = len(later) * 6 // 10
    with open(os.path.join(a.out, "heldout-qrels.tsv"), "w", encoding="utf-8") as out:
        for ts, qid, user in later[n:]:
            for doc, g in judged[qid].items():
                if g == 2: out.write(f"{qid} 0 {doc} 1\n")
    for name, part in (("traffic.tsv", later[:n]), ("heldout.tsv", later[n:])):
        with open(os.path.join(a.out, name), "w", encoding="utf-8") as out:
            for ts, qid, user in part:
                out.write(f"{qid}\t{user}\t{texts[qid]}\n")
    print(f"cut {cut}: {kept} events before it; {n} traffic and {len(later) - n} held-out purchase queries after it")

def queries(path):
    for line in open(path, encoding="utf-8"):
        qid, user, text = line.rstrip("\n").split("\t", 2)
        yield qid, int(user), text

def search(url, user, text):
    q = urllib.parse.urlencode({"q": text, "user": user, "k": 10})
    with urllib.request.urlopen(f"{url}/search?{q}", timeout=30) as r:
        return [hit["id"] for hit in json.load(r)["results"]]

def traffic(a):
    judged, key, posted, t0 = qrels(a.shop), os.environ["SEARCHREC_API_KEY"], 0, time.time()
    for i, (qid, user, text) in enumerate(queries(a.queries)):
        search(a.url, user, text)
        events = [{"user": user, "item": doc, "behavior": "buy" if g == 2 else "pv"} for doc, g in judged.get(qid, {}).items() if g > 0]
        req = urllib.request.Request(f"{a.url}/events", data=json.dumps(events).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-Api-Key": key})
        with urllib.request.urlopen(req, timeout=30) as r:
            if r.status != 200: sys.exit(f"POST /events answered {r.status}")
        posted += len(events)
        if (i + 1) % 500 == 0: print(f"  {i + 1} searches, {posted} events posted", file=sys.stderr)
    print(f"traffic: {i + 1} searches, {posted} events posted in {time.time() - t0:.0f} s")

def heldout(a):
    judged, rows, run = qrels(a.shop), [], []
    for qid, user, text in queries(a.queries):
        top = search(a.url, user, text)
        run += [f"{qid} Q0 {d} {i + 1} {10 - i} {os.path.basename(a.out)}" for i, d in enumerate(top)]
        bought = {d for d, g in judged[qid].items() if g == 2}
        dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(top) if d in bought)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(bought))))
        rows.append((qid, dcg / ideal))
    with open(a.out, "w", encoding="utf-8") as out:
        for qid, v in rows: out.write(f"{qid}\t{v:.6f}\n")
    with open(os.path.splitext(a.out)[0] + ".run", "w", encoding="utf-8") as out:
        out.write("\n".join(run) + "\n")
    print(f"held out: {len(rows)} queries, nDCG@10 of bought items {sum(v for _, v in rows) / len(rows):.4f}")

def compare(a):
    x = dict(l.split() for l in open(a.a)); y = dict(l.split() for l in open(a.b))
    d = [float(x[q]) - float(y[q]) for q in x]
    obs, rng, ext = abs(sum(d)), random.Random(1), 0
    for _ in range(10000):
        if abs(sum(v if rng.random() < 0.5 else -v for v in d)) >= obs - 1e-12: ext += 1
    better, worse = sum(v > 1e-12 for v in d), sum(v < -1e-12 for v in d)
    print(f"{os.path.basename(a.a)} - {os.path.basename(a.b)}: {sum(d) / len(d):+.4f} over {len(d)} queries, "
          f"p = {(ext + 1) / 10001:.4f} (paired randomization), {better} better / {worse} worse")

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
sub = p.add_subparsers(dest="cmd", required=True)
s = sub.add_parser("split"); s.add_argument("--shop", required=True); s.add_argument("--out", required=True)
for name in ("traffic", "heldout"):
    s = sub.add_parser(name); s.add_argument("--url", required=True); s.add_argument("--queries", required=True); s.add_argument("--shop", required=True)
    if name == "heldout": s.add_argument("--out", required=True)
s = sub.add_parser("compare"); s.add_argument("a"); s.add_argument("b")
args = p.parse_args()
{"split": split, "traffic": traffic, "heldout": heldout, "compare": compare}[args.cmd](args)
