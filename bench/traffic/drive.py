#!/usr/bin/env python3
"""Drives the traffic experiment of bench/traffic/run.sh against a running `searchrec serve`.

split    --shop DIR --out DIR   events before the median query time, and the later purchase queries split 60/40
                                 (with the held-out queries' bought items as TREC qrels)
traffic  --url U --queries F --shop DIR   search as each query's user, then post what they bought (buy) and viewed (pv)
heldout  --url U --queries F --shop DIR --out F   search as each user, write each query's nDCG@10 of its bought items
                                 (and the top 10 as a TREC run beside it, for `searchrec compare`)
interleave --url U --queries F --shop DIR --out F   against `serve --challenger`: search as each user, then post a
                                 buy of each shown item (top 10) the user bought, nothing else (a deterministic shopper);
                                 credit each page's teams with those buys, write them per search, and print wins, ties,
                                 the preference and after how many searches the sign test stays below 0.05
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

def hits(url, user, text):
    q = urllib.parse.urlencode({"q": text, "user": user, "k": 10})
    with urllib.request.urlopen(f"{url}/search?{q}", timeout=30) as r:
        return json.load(r)["results"]

def search(url, user, text):
    return [hit["id"] for hit in hits(url, user, text)]

def post(url, events):
    req = urllib.request.Request(f"{url}/events", data=json.dumps(events).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "X-Api-Key": os.environ["SEARCHREC_API_KEY"]})
    with urllib.request.urlopen(req, timeout=30) as r:
        if r.status != 200: sys.exit(f"POST /events answered {r.status}")

def traffic(a):
    judged, posted, t0 = qrels(a.shop), 0, time.time()
    for i, (qid, user, text) in enumerate(queries(a.queries)):
        search(a.url, user, text)
        events = [{"user": user, "item": doc, "behavior": "buy" if g == 2 else "pv"} for doc, g in judged.get(qid, {}).items() if g > 0]
        post(a.url, events)
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

def sign_test(wins, losses):
    """Two-sided exact sign test, as SignificanceTests.SignTest computes it (ties left out)."""
    n, low = wins + losses, min(wins, losses)
    if n == 0 or 2 * low == n: return 1.0
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(low + 1)) / 2 ** n)

def pvalue(p):
    return f"{p:.4f}" if p >= 0.0001 else f"{p:.1e}"

def interleave(a):
    judged, rows, t0 = qrels(a.shop), [], time.time()
    control = challenger = ties = engaged = plain = 0
    for i, (qid, user, text) in enumerate(queries(a.queries)):
        shown = hits(a.url, user, text)
        if any("team" not in h for h in shown): plain += 1
        bought = [h for h in shown if judged[qid].get(h["id"]) == 2]
        if bought: post(a.url, [{"user": user, "item": h["id"], "behavior": "buy"} for h in bought])
        c = sum(h.get("team") == "control" for h in bought); b = sum(h.get("team") == "challenger" for h in bought)
        rows.append((qid, user, len(shown), c, b))
        if c + b:
            engaged += 1
            if c > b: control += 1
            elif b > c: challenger += 1
            else: ties += 1
        if (i + 1) % 100 == 0:
            print(f"  {i + 1} searches: {engaged} engaged, control {control} / challenger {challenger} / ties {ties}", file=sys.stderr)
    with open(a.out, "w", encoding="utf-8") as out:
        out.write("qid\tuser\tshown\tcontrol_bought\tchallenger_bought\n")
        for r in rows: out.write("\t".join(map(str, r)) + "\n")
    # After how many searches (in the order played, which is time order) the sign test first stays below 0.05 to the end.
    w = l = 0; since = None
    for n, (_, _, _, c, b) in enumerate(rows, 1):
        w += b > c; l += c > b
        if sign_test(w, l) < 0.05:
            if since is None: since = (n, w, l)
        else: since = None
    delta = (challenger + ties / 2) / engaged - 0.5 if engaged else 0.0
    print(f"interleave: {len(rows)} searches in {time.time() - t0:.0f} s ({plain} not interleaved), {engaged} with a shown item bought: "
          f"control wins {control}, challenger wins {challenger}, ties {ties}; Δ {delta:+.3f}, sign test p {pvalue(sign_test(challenger, control))}")
    print("  p < 0.05 from then on: " + (f"after {since[0]} searches ({since[1]} challenger / {since[2]} control wins)" if since else "never"))

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
for name in ("traffic", "heldout", "interleave"):
    s = sub.add_parser(name); s.add_argument("--url", required=True); s.add_argument("--queries", required=True); s.add_argument("--shop", required=True)
    if name != "traffic": s.add_argument("--out", required=True)
s = sub.add_parser("compare"); s.add_argument("a"); s.add_argument("b")
args = p.parse_args()
{"split": split, "traffic": traffic, "heldout": heldout, "interleave": interleave, "compare": compare}[args.cmd](args)
