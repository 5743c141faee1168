using System.CommandLine;
using System.Diagnostics;
using SearchRec.Collab;
using SearchRec.Collab.Events;
using SearchRec.Collab.Models;
using SearchRec.Core.Events;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.NextItem;
using SearchRec.Synthetic;

namespace SearchRec.Cli.Commands;

/// <summary>Synthetic-shop event logs for the collaborative benchmarks.</summary>
internal static class BenchData
{
    /// <summary>The first <paramref name="n"/> events of a seeded synthetic shop sized so that it yields about n events.</summary>
    public static (ShopGenerator Shop, List<UserEvent> Events) Shop(int n, int products)
    {
        // the generator makes roughly 25-40 events per user at 10 sessions; ask for enough users and cut at n
        var shop = new ShopGenerator(new ShopOptions { Products = products, Users = Math.Max(10, n / 15), SessionsPerUser = 10 });
        var sw = Stopwatch.StartNew();
        var list = new List<UserEvent>(n);
        foreach (var e in shop.Events())
        {
            list.Add(e);
            if (list.Count % 1_000_000 == 0) Console.Error.WriteLine($"generated {list.Count:N0} events ({sw.Elapsed.TotalSeconds:F0} s)");
            if (list.Count == n) break;
        }
        Console.Error.WriteLine($"synthetic shop: {list.Count:N0} events, {list.Select(e => e.UserId).Distinct().Count():N0} users, {products:N0} products ({sw.Elapsed.TotalSeconds:F1} s)");
        return (shop, list);
    }

    public static string Machine() => $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";

    public static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}

/// <summary><c>searchrec bench als</c>: ALS seconds per iteration and item-to-item build time on a synthetic log.</summary>
public sealed class BenchAlsCommand : IBenchCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var events = new Option<int>("--events") { Description = "Events in the synthetic log.", DefaultValueFactory = _ => 1_000_000 };
        var products = new Option<int>("--products") { Description = "Products in the synthetic shop.", DefaultValueFactory = _ => 100_000 };
        var factors = new Option<int>("--factors") { Description = "ALS factors.", DefaultValueFactory = _ => 64 };
        var iterations = new Option<int>("--iterations") { Description = "ALS iterations to time.", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "Worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("als", "Time implicit ALS (s/iteration) and the item-to-item neighbour build on a synthetic-shop log.");
        foreach (var o in new Option[] { events, products, factors, iterations, threads }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            // Checked before the log is generated (seconds to minutes at 1M+ events), and named as typed: a bad ALS
            // setting was refused afterwards as "CollabOptions.AlsIterations", and --events 0 was taken as a small log.
            CollabOptions options;
            try
            {
                foreach (var (option, flag) in new[] { (events, "--events"), (products, "--products") })
                    if (pr.GetValue(option) < 1) throw new ArgumentException($"{flag} must be at least 1 (was {pr.GetValue(option)}).");
                options = new CollabOptions { Factors = pr.GetValue(factors), AlsIterations = pr.GetValue(iterations), Threads = pr.GetValue(threads) }.Validate();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"bench als: {CliErrors.Message(e, nameof(CollabOptions), FlagOf)}");
                return 2;
            }
            var (_, list) = BenchData.Shop(pr.GetValue(events), pr.GetValue(products));
            var sw = Stopwatch.StartNew();
            var models = CollabModels.Train(list, options,
                new SyncProgress<TrainProgress>(p => Console.Error.WriteLine($"[{sw.Elapsed.TotalSeconds,6:F1}s] {p.Stage}: {p.Message}")));
            var t = models.Card.TimingsSeconds;
            Console.WriteLine($"machine: {BenchData.Machine()}");
            Console.WriteLine($"log: {models.Card.Events:N0} events, {models.Card.Users:N0} users, {models.Card.Items:N0} items");
            Console.WriteLine($"item-item top-{models.TrainedOptions.Neighbours} build: {t["item_item_s"]:F2} s");
            Console.WriteLine($"als: {pr.GetValue(factors)} factors, {models.TrainedOptions.CgSteps} CG steps, {pr.GetValue(threads)} threads: {t["als_s_per_iteration"]:F3} s/iteration ({pr.GetValue(iterations)} iterations)");
            Console.WriteLine("reference: implicit (Python, CPU CG solver) publishes ~5.5 s/iteration at 256 factors on last.fm 360k (360k users, 160k artists, 17.5M plays) on a many-core machine");
            return 0;
        });
        return cmd;
    }

    private static string? FlagOf(string property) => property switch
    {
        nameof(CollabOptions.Factors) => "--factors",
        nameof(CollabOptions.AlsIterations) => "--iterations",
        nameof(CollabOptions.Threads) => "--threads",
        _ => null,
    };
}

/// <summary><c>searchrec bench cf-latency</c>: per-request latency of scoring 200 candidates and of similar items.</summary>
public sealed class BenchCfLatencyCommand : IBenchCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var events = new Option<int>("--events") { Description = "Events in the synthetic training log.", DefaultValueFactory = _ => 300_000 };
        var requests = new Option<int>("--requests") { Description = "Requests timed per scorer.", DefaultValueFactory = _ => 2000 };
        var candidates = new Option<int>("--candidates") { Description = "Candidates per request.", DefaultValueFactory = _ => 200 };
        var dump = new Option<string?>("--dump") { Description = "Also write every score and similar-items list to this file, so two builds can be compared for identical results." };
        var feedRanker = new Option<string?>("--feed-ranker") { Description = "Also time a user's feed from this next-item ranker (train-ranker --events … --cut …) over the benchmark's models: pool, features, behaviour tower, ranker, top 10." };
        var productsOption = new Option<int>("--products") { Description = "Products in the synthetic shop (the top-k lists scan every item with factors).", DefaultValueFactory = _ => 20_000 };
        var topK = new Option<int>("--top-k") { Description = "Length of the timed top-k lists (the feed's sources ask for 50).", DefaultValueFactory = _ => 50 };
        var report = new Option<string>("--report") { Description = "HTML page of the latency distributions (percentile table, cumulative distribution and percentile charts).", DefaultValueFactory = _ => "out/bench-cf-latency.html" };
        var allocTypes = new Option<int>("--alloc-types") { Description = "Also list the N types each timed path allocates most (sampled by the runtime's allocation ticks, in an untimed pass of as many calls after each path's timing; it draws more requests, so later paths time other requests than without it). 0: off.", DefaultValueFactory = _ => 0 };
        var cmd = new Command("cf-latency", "Latency (p50/p95/p99, wall and thread CPU), allocations and GCs of scoring candidates from a user's history, per scorer, and of similar items (behaviour + content + category).");
        foreach (var o in new Option[] { events, requests, candidates, dump, feedRanker, productsOption, topK, report, allocTypes }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            int products = pr.GetValue(productsOption), listK = pr.GetValue(topK);
            string? bad = products < 100 ? $"--products must be at least 100 (was {products})."
                : listK is < 1 or > 10_000 ? $"--top-k must be between 1 and 10,000 (was {listK})."
                : pr.GetValue(requests) < 1 ? $"--requests must be at least 1 (was {pr.GetValue(requests)})."
                : pr.GetValue(candidates) < 1 ? $"--candidates must be at least 1 (was {pr.GetValue(candidates)})."
                : pr.GetValue(events) < 1 ? $"--events must be at least 1 (was {pr.GetValue(events)})." : null;
            if (bad is not null) { Console.Error.WriteLine($"bench cf-latency: {bad}"); return 2; }
            var (shop, list) = BenchData.Shop(pr.GetValue(events), products);
            var models = CollabModels.Train(list, new CollabOptions { AlsIterations = 5 });
            using var index = SearchRec.Index.ProductIndex.Build(shop.Products(), new SearchRec.Index.IndexOptions());
            var byUser = list.GroupBy(e => e.UserId).Select(g => g.ToArray()).ToArray();
            var rng = new Random(1);
            int n = pr.GetValue(requests), c = pr.GetValue(candidates);
            using var dumpFile = pr.GetValue(dump) is string dumpPath ? new StreamWriter(dumpPath) : null;
            var series = new List<SearchRec.Evaluation.Reports.LatencySeries>();
            var wall = new double[n];
            var cpu = new double[n];
            List<string> notes =
            [
                $"machine: {BenchData.Machine()}",
                $"models: {models.Card.Events:N0} events, {models.ItemCount:N0} items, {products:N0} products; {c} candidates per request, {n} requests (+1000 warm-up); history built per request",
            ];
            if (File.Exists("/proc/loadavg")) notes.Add($"load average: {File.ReadAllText("/proc/loadavg").Trim()} (wall p99 on a shared machine includes time descheduled; cpu = this thread's CPU time)");
            foreach (var line in notes) Console.WriteLine(line);
            var allocationNotes = new List<string>();
            void Report(string what, double bytesPerCall, int gcs)
            {
                series.Add(new(what, (double[])wall.Clone()));
                ReportLine(what, wall, cpu, bytesPerCall, gcs);
                allocationNotes.Add($"{what}: {Allocated.KiB(bytesPerCall)} allocated per call");
            }
            int typesShown = pr.GetValue(allocTypes);
            int gc0 = GC.CollectionCount(0);
            static string Listed(IEnumerable<ScoredItem> top) =>
                string.Join(' ', top.Select(t => $"{t.ItemId}:{t.Score.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"));
            // Times n calls after warmUp untimed ones: prepare draws a request (untimed) and returns the call to time
            // and what the --dump file gets of its answer. The bytes are every thread's (a content neighbours' query
            // may run on two), read outside the timed call.
            void Time<T>(Func<string> label, int warmUp, Func<int, (Func<T> Run, Func<T, string> Dump)> prepare)
            {
                int g0 = GC.CollectionCount(0);
                long bytes = 0;
                for (int r = -warmUp; r < n; r++)
                {
                    var (run, dump) = prepare(r);
                    long a0 = Allocated.Total();
                    double c0 = ThreadCpu.Milliseconds();
                    long t0 = Stopwatch.GetTimestamp();
                    var answer = run();
                    double w = Stopwatch.GetElapsedTime(t0).TotalMilliseconds, cp = ThreadCpu.Milliseconds() - c0;
                    long a1 = Allocated.Total();
                    if (r >= 0) { wall[r] = w; cpu[r] = cp; bytes += a1 - a0; }
                    if (dumpFile is not null && r >= 0 && r < 200) dumpFile.WriteLine(dump(answer));
                }
                var what = label();
                Report(what, bytes / (double)n, GC.CollectionCount(0) - g0);
                if (typesShown <= 0) return;
                // An untimed pass of as many calls (new draws: the sampled types, not the same requests, are compared),
                // listened to only while it runs: the listener's own events would count in the timed paths' bytes.
                var calls = new List<Func<T>>(n);
                for (int r = 0; r < n; r++) calls.Add(prepare(n + r).Run);
                using var sampler = new AllocationSampler();
                sampler.Start();
                foreach (var call in calls) call();
                sampler.Stop();
                sampler.Print(what, n, typesShown);
            }
            var items = new long[c];
            var scores = new float[c];
            foreach (var name in CollabModels.ScorerNames)
            {
                var scorer = models.Scorer(name);
                Time<float[]>(() => $"score {name,-10}", 1000, r =>
                {
                    var evs = byUser[rng.Next(byUser.Length)];
                    for (int j = 0; j < c; j++) items[j] = rng.Next(1, products + 1);
                    var src = evs.Length > 200 ? evs[^200..] : evs; // the caller's copy, not timed
                    return (() => { scorer.Score(new UserHistory(evs[0].UserId, src), items, scores); return scores; },
                        s => $"{name} {r} " + string.Join(' ', s.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
                });
            }
            foreach (var name in CollabModels.ScorerNames)
            {
                // a fresh history per request, so nothing kept on an earlier one's profile is reused
                var scorer = models.Scorer(name);
                Time<IReadOnlyList<ScoredItem>>(() => $"top {listK} {name,-10}", 200, r =>
                {
                    var evs = byUser[rng.Next(byUser.Length)];
                    var src = evs.Length > 200 ? evs[^200..] : evs;
                    return (() => scorer.TopK(new UserHistory(evs[0].UserId, src), listK), top => $"top {name} {r} " + Listed(top));
                });
            }
            if (pr.GetValue(feedRanker) is { } feedDir)
            {
                using var feed = NextItemRecommender.Open(feedDir, models, ItemActivity.Build(list));
                long pool = 0;
                Time<IReadOnlyList<ScoredItem>>(() => $"feed from {feedDir} (top 10 of {feed.PerSource} per source; {(feed.Sources.Tower is null ? "no tower" : "behaviour tower")}; {pool / (double)n:F0} history events per user)", 200, r =>
                {
                    var evs = byUser[rng.Next(byUser.Length)];
                    if (r >= 0) pool += evs.Length;
                    return (() => feed.Recommend(new UserHistory(evs[0].UserId, evs), 10), top => $"feed {r} " + Listed(top));
                });
            }
            var counted = new CountingRecall(index);
            var similar = new SimilarItems(models, counted);
            foreach (var traffic in new[] { "uniform items", "items drawn by event share", "items drawn by event share, 2nd pass" })
            {
                int mlt0 = counted.Calls;
                Time<IReadOnlyList<SimilarItem>>(() => $"similar items (k 10, with user; {traffic}; content cache hits {1 - (counted.Calls - mlt0) / (double)(n + 1000):P0})", 1000, r =>
                {
                    var evs = byUser[rng.Next(byUser.Length)];
                    // uniform: mostly items seen for the first time; by event share: popular items come back, as in real traffic
                    long item = traffic[0] == 'u' ? rng.Next(1, products + 1) : list[rng.Next(list.Count)].ItemId;
                    return (() => similar.Find(item, new UserHistory(evs[0].UserId, evs), 10),
                        found => $"similar {r} {item} " + string.Join(' ', found.Select(f => $"{f.ItemId}:{f.Score.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}:{f.SourceNames}")));
                });
            }
            Console.WriteLine($"gen-0 collections during timing: {GC.CollectionCount(0) - gc0}");
            var reportPath = Path.GetFullPath(pr.GetValue(report)!);
            SearchRec.Evaluation.Reports.LatencyReport.Write(reportPath, "bench cf-latency: collaborative scoring, top-k lists, feed and similar items", [.. notes, .. allocationNotes], series);
            Console.Error.WriteLine($"report: {reportPath}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Counts the MoreLikeThis calls that reach the index (content-cache misses).</summary>
    private sealed class CountingRecall(SearchRec.Index.IProductRecall inner) : SearchRec.Index.IProductRecall
    {
        public int Calls;
        public int Count => inner.Count;
        public IReadOnlyList<SearchRec.Index.RecallCandidate> Recall(SearchRec.Index.RecallRequest request) => inner.Recall(request);
        public SearchRec.Core.Product? GetProduct(string productId) => inner.GetProduct(productId);
        public IReadOnlyList<(string ProductId, float Score)> MoreLikeThis(string productId, int k)
        {
            Interlocked.Increment(ref Calls);
            return inner.MoreLikeThis(productId, k);
        }
    }

    private static void ReportLine(string what, double[] wall, double[] cpu, double bytesPerCall, int gcs)
    {
        var w = wall.ToList(); w.Sort();
        var c = cpu.ToList(); c.Sort();
        string cpuPart = ThreadCpu.Available
            ? $" | cpu p50 {BenchData.Percentile(c, 0.5):F3} p95 {BenchData.Percentile(c, 0.95):F3} p99 {BenchData.Percentile(c, 0.99):F3} ms"
            : " | cpu n/a";
        Console.WriteLine($"{what}: wall p50 {BenchData.Percentile(w, 0.5):F3} p95 {BenchData.Percentile(w, 0.95):F3} p99 {BenchData.Percentile(w, 0.99):F3} ms{cpuPart} | {bytesPerCall / 1024:F1} KiB/call, {gcs} gen-0 GCs");
    }
}

/// <summary><c>searchrec bench ingest</c>: events/s importing a CSV into a fresh SQLite store, and concurrent single appends.</summary>
public sealed class BenchIngestCommand : IBenchCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var file = new Option<string>("--file") { Description = "Event CSV to import.", Required = true };
        var appends = new Option<int>("--appends") { Description = "Single appends per writer (4 writers).", DefaultValueFactory = _ => 500 };
        var cmd = new Command("ingest", "Import speed of the SQLite event store and a count check of 4 concurrent single-event writers.");
        cmd.Options.Add(file); cmd.Options.Add(appends);
        cmd.SetAction(pr =>
        {
            var path = pr.GetValue(file)!;
            if (!File.Exists(path)) { Console.Error.WriteLine($"bench ingest: file not found: {path}"); return 2; }
            // 0 or fewer timed nothing and printed "4 writers x -3 single appends: 0 appends/s".
            if (pr.GetValue(appends) < 1) { Console.Error.WriteLine($"bench ingest: --appends must be at least 1 (was {pr.GetValue(appends)})."); return 2; }
            var dir = Path.Combine(Path.GetTempPath(), "searchrec-ingest-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(dir);
            try
            {
                Console.WriteLine($"machine: {BenchData.Machine()}");
                for (int pass = 0; pass < 2; pass++)
                {
                    var ps = Stopwatch.StartNew();
                    long parsed = EventCsvReader.ReadFile(path, _ => { }).LongCount();
                    Console.WriteLine($"parse only (pass {pass + 1}): {parsed:N0} events, {parsed / ps.Elapsed.TotalSeconds:N0} events/s");
                }
                using (var store = new SqliteEventStore(Path.Combine(dir, "events.db")))
                {
                    var r = store.Import(path);
                    Console.WriteLine($"import {Path.GetFileName(path)}: {r.Parsed:N0} events in {r.Elapsed.TotalSeconds:F2} s = {r.EventsPerSecond:N0} events/s ({r.Inserted:N0} new, {r.Problems.Count} bad lines)");
                    var again = store.Import(path);
                    Console.WriteLine($"re-import: {again.Inserted:N0} new, {again.Duplicates:N0} duplicates, {again.EventsPerSecond:N0} events/s");
                }
                using (var store = new SqliteEventStore(Path.Combine(dir, "events2.db")))
                {
                    var r = store.Import(path);
                    Console.WriteLine($"import into a second fresh store (code warm): {r.EventsPerSecond:N0} events/s");
                }
                foreach (var full in new[] { true, false })
                {
                    using var store = new SqliteEventStore(Path.Combine(dir, $"append-{full}.db"), new SqliteEventStoreOptions { SynchronousFull = full });
                    int per = pr.GetValue(appends);
                    var sw = Stopwatch.StartNew();
                    int acked = 0;
                    Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, w =>
                    {
                        for (int i = 0; i < per; i++)
                            if (store.Append(new UserEvent(w, i, 1, Behavior.View, 1_500_000_000 + i))) Interlocked.Increment(ref acked);
                    });
                    double s = sw.Elapsed.TotalSeconds;
                    Console.WriteLine($"4 writers x {per} single appends (synchronous={(full ? "FULL" : "NORMAL")}): {acked} acknowledged, {store.Count} stored, {acked / s:N0} appends/s");
                }
                return 0;
            }
            finally { Directory.Delete(dir, true); }
        });
        return cmd;
    }
}
