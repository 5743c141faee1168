using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Lucene.Net.Analysis.TokenAttributes;
using SearchRec.Core;
using SearchRec.Index;
using SearchRec.Index.Internals;
using SearchRec.Synthetic;
using SearchRec.Text;

namespace SearchRec.Cli.Commands;

/// <summary>
/// <c>searchrec bench index</c>: indexing rate, index size and peak memory on a synthetic catalog, plus analyzer
/// throughput.
/// </summary>
public sealed class BenchIndexCommand : IBenchCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var products = new Option<int>("--products") { Description = "Synthetic catalog size.", DefaultValueFactory = _ => 200_000 };
        var dir = new Option<string?>("--index") { Description = "Index directory (default: a temporary one, deleted after)." };
        var cmd = new Command("index", "Index a synthetic catalog: products/s, index size, peak working set, analyzer MB/s.");
        cmd.Options.Add(products);
        cmd.Options.Add(dir);
        cmd.SetAction(pr => Run(pr.GetValue(products), pr.GetValue(dir)));
        return cmd;
    }

    private static int Run(int n, string? dir)
    {
        if (n < 100) { Console.Error.WriteLine("error: --products must be at least 100"); return 2; }
        BenchIndexShared.PrintMachine();
        var catalog = BenchIndexShared.Generate(n);

        MeasureAnalyzer("searchrec", catalog);
        MeasureAnalyzer("cjk-bigram", catalog);

        var temp = dir is null;
        dir ??= Path.Combine(Path.GetTempPath(), "searchrec-bench-index-" + Environment.ProcessId);
        try
        {
            GC.Collect();
            var before = Process.GetCurrentProcess().WorkingSet64;
            var sw = Stopwatch.StartNew();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var options = new IndexOptions();
            using (var index = ProductIndex.Build(catalog, options, dir, BenchIndexShared.Progress(n, "indexing")))
            {
                var s = sw.Elapsed.TotalSeconds;
                var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
                Console.WriteLine($"indexed {index.Count:N0} products in {s:F1} s: {index.Count / s:N0} products/s ({Environment.ProcessorCount} threads, one final commit{(options.MergeToOneSegment ? ", force-merged to one segment" : ", no force-merge")})");
                // Under contention wall time says little; CPU time says what the cores would do if they were ours.
                Console.WriteLine($"CPU time {cpu:F1} s: {index.Count / cpu:N0} products per CPU-second (x{Environment.ProcessorCount} cores = {Environment.ProcessorCount * index.Count / cpu:N0} products/s if uncontended)");
                Console.WriteLine($"of which recall score bounds (one thread, after commit): {index.BoundsSeconds:F1} s for {index.Bounds.StoredTerms:N0} terms");
            }
            var size = BenchIndexShared.DirectorySize(dir);
            var segments = Directory.GetFiles(dir, "*.si").Length;
            Console.WriteLine($"index size on disk: {size / 1048576.0:F1} MiB ({size / (double)n:F0} bytes/product, {segments} segments)");
            Console.WriteLine($"working set before build (catalog in memory): {before / 1048576.0:F0} MiB; peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB");
        }
        finally
        {
            if (temp && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        return 0;
    }

    private static void MeasureAnalyzer(string name, List<Product> catalog)
    {
        using var analyzer = AnalyzerRegistry.Default.Create(name);
        var count = Math.Min(catalog.Count, 100_000);
        long bytes = 0, tokens = 0;
        for (var i = 0; i < count; i++) bytes += Encoding.UTF8.GetByteCount(catalog[i].Title);
        for (var pass = 0; pass < 2; pass++)
        {
            tokens = 0;
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                using var ts = analyzer.GetTokenStream("title", catalog[i].Title);
                var term = ts.AddAttribute<ICharTermAttribute>();
                ts.Reset();
                while (ts.IncrementToken()) tokens++;
                ts.End();
            }
            if (pass == 1)
                Console.WriteLine($"analyzer {name}: {bytes / 1048576.0 / sw.Elapsed.TotalSeconds:F1} MB/s UTF-8 ({count / sw.Elapsed.TotalSeconds:N0} titles/s, {tokens / (double)count:F1} tokens/title, one thread)");
        }
    }
}

/// <summary>
/// <c>searchrec bench recall</c>: top-200 recall latency (p50/p95/p99) over a realistic query mix on a synthetic catalog.
/// </summary>
public sealed class BenchRecallCommand : IBenchCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var products = new Option<int>("--products") { Description = "Synthetic catalog size.", DefaultValueFactory = _ => 200_000 };
        var queries = new Option<int>("--queries") { Description = "Timed queries.", DefaultValueFactory = _ => 5_000 };
        var dir = new Option<string?>("--index") { Description = "Index directory to reuse or create (default: a temporary one, deleted after)." };
        var priming = new Option<string>("--priming") { Description = "on, off, or ab (each query timed off then on, interleaved).", DefaultValueFactory = _ => "on" };
        var threads = new Option<string>("--threads") { Description = "Threads per recall (IndexOptions.RecallParallelism): 1, 2 (the default), or ab (every query timed with both, interleaved).", DefaultValueFactory = _ => "2" };
        var cutoff = new Option<string>("--cutoff") { Description = "Common-term cutoff of long queries (IndexOptions.LongQueryWords): on, off (exact), or ab (interleaved).", DefaultValueFactory = _ => "on" };
        var clients = new Option<int>("--clients") { Description = "Also measure throughput with this many concurrent clients (0: skip).", DefaultValueFactory = _ => 0 };
        var engine = new Option<string>("--engine") { Description = "maxscore (the recall path) or lucene (the same query scored exhaustively by Lucene, for comparison).", DefaultValueFactory = _ => "maxscore" };
        var order = new Option<string>("--order") { Description = "Doc order of the index (IndexOptions.DocOrder): length, category, ab (length,category), or a comma list (an index of each on the same catalog, every query timed on each, interleaved); a name may end in -1seg (force-merged to one segment) or -nseg (not merged); without it IndexOptions.MergeToOneSegment decides.", DefaultValueFactory = _ => "default" };
        var cmd = new Command("recall", "Top-200 BM25 recall latency percentiles over a query mix generated from a synthetic catalog.");
        cmd.Options.Add(products);
        cmd.Options.Add(queries);
        cmd.Options.Add(dir);
        cmd.Options.Add(engine);
        cmd.Options.Add(priming);
        cmd.Options.Add(threads);
        cmd.Options.Add(clients);
        cmd.Options.Add(cutoff);
        cmd.Options.Add(order);
        var report = new Option<string>("--report") { Description = "HTML page of the latency distributions (the whole mix and each query kind; percentile table and charts).", DefaultValueFactory = _ => "out/bench-recall.html" };
        cmd.Options.Add(report);
        var primeClauses = new Option<string>("--prime-clauses") { Description = "Most active clauses of a primed segment: a number, or a comma list timed interleaved (e.g. 16,32).", DefaultValueFactory = _ => "16" };
        cmd.Options.Add(primeClauses);
        cmd.SetAction(pr => Run(pr.GetValue(products), pr.GetValue(queries), pr.GetValue(dir), pr.GetValue(engine)!, pr.GetValue(priming)!, pr.GetValue(threads)!, pr.GetValue(clients), pr.GetValue(cutoff)!, pr.GetValue(order)!, pr.GetValue(primeClauses)!, pr.GetValue(report)!));
        return cmd;
    }

    private static int Run(int n, int m, string? dir, string engine, string priming, string threads, int clients, string cutoff, string order, string primeClauses, string report)
    {
        var series = new List<SearchRec.Evaluation.Reports.LatencySeries>();
        var primeModes = new List<int>();
        foreach (var part in primeClauses.Split(','))
        {
            if (!int.TryParse(part, out var c) || c < 0 || c > 256) { Console.Error.WriteLine($"error: --prime-clauses must be numbers in [0, 256], was '{primeClauses}'"); return 2; }
            primeModes.Add(c);
        }
        var orders = new List<(DocOrder Order, bool OneSegment)>();
        foreach (var name in (order == "ab" ? "length,category" : order).Split(','))
        {
            // "-1seg" / "-nseg": the same order force-merged into one segment / left in the writer's segments.
            var suffixed = name.EndsWith("-1seg", StringComparison.Ordinal) || name.EndsWith("-nseg", StringComparison.Ordinal);
            var one = suffixed ? name.EndsWith("-1seg", StringComparison.Ordinal) : new IndexOptions().MergeToOneSegment;
            DocOrder? o = (suffixed ? name[..^5] : name) switch
            {
                "default" => new IndexOptions().DocOrder,
                "length" => DocOrder.TitleLength,
                "category" => DocOrder.Category,
                _ => null,
            };
            if (o is null || orders.Contains((o.Value, one))) { Console.Error.WriteLine($"error: --order must be length, category, ab, or a comma list of distinct orders (each may end in -1seg or -nseg), was '{order}'"); return 2; }
            orders.Add((o.Value, one));
        }
        if (cutoff is not ("on" or "off" or "ab")) { Console.Error.WriteLine($"error: --cutoff must be on, off or ab, was '{cutoff}'"); return 2; }
        if (priming is not ("on" or "off" or "ab")) { Console.Error.WriteLine($"error: --priming must be on, off or ab, was '{priming}'"); return 2; }
        if (threads is not ("1" or "2" or "ab")) { Console.Error.WriteLine($"error: --threads must be 1, 2 or ab, was '{threads}'"); return 2; }
        if (clients < 0 || clients > 64) { Console.Error.WriteLine($"error: --clients must be in [0, 64], was {clients}"); return 2; }
        if (n < 100) { Console.Error.WriteLine("error: --products must be at least 100"); return 2; }
        if (m < 1) { Console.Error.WriteLine("error: --queries must be positive"); return 2; }
        if (engine is not ("maxscore" or "lucene")) { Console.Error.WriteLine($"error: --engine must be maxscore or lucene, was '{engine}'"); return 2; }
        var lucene = engine == "lucene";
        BenchIndexShared.PrintMachine();
        var catalog = BenchIndexShared.Generate(n);
        var temp = dir is null;
        dir ??= Path.Combine(Path.GetTempPath(), "searchrec-bench-recall-" + Environment.ProcessId);
        var indexes = new List<ProductIndex>();
        var dirs = new string[orders.Count];
        try
        {
            for (var o = 0; o < orders.Count; o++)
            {
                dirs[o] = orders.Count == 1 ? dir : dir + "-" + orders[o].Order + (orders[o].OneSegment ? "-1seg" : "");
                indexes.Add(OpenOrBuild(catalog, dirs[o], orders[o].Order, orders[o].OneSegment, n));
            }
            var index = indexes[0];
            var mix = QueryMix.Make(catalog, m + 500, seed: 7);
            foreach (var ix in indexes)
            {
                for (var i = 0; i < 500; i++) Recall(ix, mix[i].Request, lucene); // warm-up: JIT, OS page cache
            }
            Console.WriteLine($"engine: {engine}{(lucene ? " (every posting scored by Lucene; same query and results)" : $" (bounds {(index.Bounds.Precomputed ? "from the side file" : "computed on first use")})")}");
            foreach (var ix in indexes)
            {
                var res = ix.Resident;
                Console.WriteLine($"doc order {ix.Options.DocOrder} ({ix.Reader.Leaves.Count} segment(s)): resident postings (df >= {res.MinDocFreq} per segment): {res.Terms:N0} lists, {res.Postings:N0} postings, {res.Bytes / 1048576.0:F1} MB (+ {res.WindowBytes / 1048576.0:F1} MB of per-window maxima), copied in {ix.ResidentSeconds:F2} s at open");
            }
            var lengths = new double[m];
            for (var i = 0; i < m; i++) lengths[i] = mix[500 + i].Request.Query.Length;
            int[] threadModes = threads switch { "2" => [2], "ab" => [1, 2], "1" => [1], _ => [2] };
            var longWords = index.Options.LongQueryWords;
            int[] cutoffModes = cutoff switch { "off" => [0], "ab" => [0, longWords], _ => [longWords] };
            foreach (var ix in indexes)
            {
                ix.LongQueryWords = cutoffModes[0];
                ix.RecallParallelism = threadModes[0];
                ix.RecallPrimeMaxClauses = primeModes[0];
                for (var i = 0; i < 200; i++) Recall(ix, mix[i].Request, lucene); // warm-up of the chosen path
            }
            Console.WriteLine($"catalog {n:N0} products, {m:N0} timed queries (after 500 warm-up), top-200, one client, {threads} thread(s) per recall;");
            Console.WriteLine($"  headline mix (query lengths like the ecom-search query log; characters: {Summary(lengths, "")}):");
            Time(indexes, mix.AsSpan(500), byKind: true, lucene, priming, threadModes, cutoffModes, primeModes, series, "");
            var longCount = Math.Max(100, m / 10);
            Console.WriteLine($"  long queries only (a whole title plus 4-8 characters), {longCount:N0} queries:");
            Time(indexes, QueryMix.MakeLong(catalog, longCount, seed: 11), byKind: false, lucene, priming, threadModes, cutoffModes, primeModes, series, "long queries");
            // Throughput with the last cutoff mode (the default's in "ab").
            foreach (var ix in indexes) ix.LongQueryWords = cutoffModes[^1];
            if (clients > 0)
            {
                foreach (var ix in indexes)
                {
                    if (indexes.Count > 1) Console.WriteLine($"  doc order {ix.Options.DocOrder}:");
                    Throughput(ix, mix.AsSpan(500).ToArray(), clients, threadModes, lucene);
                }
            }
            var reportPath = Path.GetFullPath(report);
            SearchRec.Evaluation.Reports.LatencyReport.Write(reportPath, "bench recall: top-200 BM25 recall latency",
            [
                $"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}",
                $"catalog: {n:N0} synthetic products; {m:N0} timed queries (query lengths like the ecom-search query log) and {Math.Max(100, m / 10):N0} long ones; engine {engine}, {threads} thread(s) per recall, one client",
            ], series);
            Console.Error.WriteLine($"report: {reportPath}");
        }
        finally
        {
            foreach (var ix in indexes) ix.Dispose();
            foreach (var d in dirs)
            {
                if (temp && d is not null && Directory.Exists(d)) Directory.Delete(d, recursive: true);
            }
        }
        return 0;
    }

    /// <summary>Opens the index in <paramref name="dir"/> if it holds this catalog size and order, else builds it (timed).</summary>
    private static ProductIndex OpenOrBuild(List<Product> catalog, string dir, DocOrder order, bool oneSegment, int n)
    {
        if (Directory.Exists(dir) && File.Exists(Path.Combine(dir, "searchrec-index.json")))
        {
            var old = ProductIndex.Open(dir);
            if (old.Count == n && old.Options.DocOrder == order && old.Options.MergeToOneSegment == oneSegment)
            {
                Console.WriteLine($"doc order {order}: reusing the index in {dir} (build a fresh one after changing the catalog generator)");
                return old;
            }
            old.Dispose();
        }
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var index = ProductIndex.Build(catalog, new IndexOptions { DocOrder = order, MergeToOneSegment = oneSegment }, dir, BenchIndexShared.Progress(n, $"indexing ({order})"));
        var s = sw.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var size = BenchIndexShared.DirectorySize(dir);
        Console.WriteLine($"doc order {order}{(oneSegment ? " merged to one segment" : " not merged")}: built in {s:F1} s ({n / s:N0} products/s wall, {n / cpu:N0} per CPU-second; bounds {index.BoundsSeconds:F1} s, resident copy {index.ResidentSeconds:F1} s), {size / 1048576.0:F1} MiB on disk, {Directory.GetFiles(dir, "*.si").Length} segments");
        return index;
    }

    private static IReadOnlyList<RecallCandidate> Recall(ProductIndex index, RecallRequest r, bool lucene) =>
        lucene ? index.RecallWithLucene(r) : index.Recall(r);

    private static void Time(List<ProductIndex> indexes, ReadOnlySpan<QueryMix.Query> queries, bool byKind, bool lucene, string priming, int[] threadModes, int[] cutoffModes, List<int> primeModes,
        List<SearchRec.Evaluation.Reports.LatencySeries> series, string label)
    {
        // "ab" runs every query in each mode in turn, so all modes see the same moments of contention.
        bool[] primings = priming switch { "off" => [false], "ab" => [false, true], _ => [true] };
        var modes = new List<(ProductIndex Index, bool Priming, int Threads, int LongWords, int PrimeClauses)>();
        foreach (var ix in indexes)
        {
            foreach (var a in primings)
            {
                foreach (var b in threadModes)
                {
                    foreach (var c in cutoffModes)
                    {
                        foreach (var d in primeModes) modes.Add((ix, a, b, c, d));
                    }
                }
            }
        }
        var stats = new TimeStats[modes.Count];
        for (var x = 0; x < modes.Count; x++) stats[x] = new TimeStats(queries.Length);
        var m = queries.Length;
        var last = Stopwatch.StartNew();
        var results = new IReadOnlyList<RecallCandidate>?[modes.Count];
        var overlap = new double[modes.Count];
        var compared = new int[modes.Count];
        for (var i = 0; i < m; i++)
        {
            var q = queries[i];
            // The mode that runs a query first finds its lists out of cache: each query starts from the next mode.
            for (var j = 0; j < modes.Count; j++)
            {
                var x = (i + j) % modes.Count;
                var index = modes[x].Index;
                index.RecallPriming = modes[x].Priming;
                index.RecallParallelism = modes[x].Threads;
                index.LongQueryWords = modes[x].LongWords;
                index.RecallPrimeMaxClauses = modes[x].PrimeClauses;
                var c0 = ThreadCpu.Milliseconds();
                var t0 = Stopwatch.GetTimestamp();
                var hits = Recall(index, q.Request, lucene);
                var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                stats[x].Add(i, q.Kind, ms, ThreadCpu.Milliseconds() - c0, hits.Count, lucene ? default : index.LastRecallWork, lucene);
                results[x] = hits;
            }
            // How much of the first mode's top 10 each other mode keeps (1 unless a mode changes results).
            var first = results[0]!;
            for (var x = 1; x < modes.Count && first.Count > 0; x++)
            {
                var hits = results[x]!;
                var head = Math.Min(10, first.Count);
                var found = 0;
                for (var a = 0; a < head; a++)
                {
                    for (var b = 0; b < hits.Count; b++)
                    {
                        if (hits[b].ProductId != first[a].ProductId) continue;
                        found++;
                        break;
                    }
                }
                overlap[x] += found / (double)head;
                compared[x]++;
            }
            if (last.ElapsedMilliseconds > 3000) { Console.Error.WriteLine($"recall: {i:N0} / {m:N0} queries"); last.Restart(); }
        }
        foreach (var ix in indexes)
        {
            ix.RecallPriming = true;
            ix.RecallParallelism = threadModes[0];
            ix.LongQueryWords = cutoffModes[0];
            ix.RecallPrimeMaxClauses = primeModes[0];
        }
        for (var x = 0; x < modes.Count; x++)
        {
            if (modes.Count > 1) Console.WriteLine($"   doc order {modes[x].Index.Options.DocOrder} ({modes[x].Index.Reader.Leaves.Count} segment(s)), priming {(modes[x].Priming ? "on" : "off")}, {modes[x].Threads} thread(s) per recall, cutoff {(modes[x].LongWords > 0 ? $"above {modes[x].LongWords} words" : "off")}, priming up to {modes[x].PrimeClauses} clauses (interleaved with the other modes):");
            stats[x].Print(m, byKind, lucene);
            var mode = modes.Count > 1 ? $" ({modes[x].Index.Options.DocOrder}, priming {(modes[x].Priming ? "on" : "off")}, {modes[x].Threads} thread(s), cutoff {(modes[x].LongWords > 0 ? "on" : "off")}, {modes[x].PrimeClauses} prime clauses)" : "";
            series.AddRange(stats[x].Series(label, mode, byKind));
            if (x > 0 && compared[x] > 0) Console.WriteLine($"    the first mode's top 10 found in this mode's top N: mean {overlap[x] / compared[x]:P1} over {compared[x]:N0} queries");
        }
    }

    /// <summary>
    /// Queries per second with <paramref name="clients"/> threads issuing recalls at once, per threads-per-recall
    /// mode: the mix in chunks of 250, each chunk run in every mode in turn (so modes share the moments of contention).
    /// </summary>
    private static void Throughput(ProductIndex index, QueryMix.Query[] queries, int clients, int[] threadModes, bool lucene)
    {
        const int Chunk = 250;
        var walls = new double[threadModes.Length];
        var cpu = new double[threadModes.Length];
        var latencies = new List<double>[threadModes.Length];
        for (var x = 0; x < threadModes.Length; x++) latencies[x] = new List<double>(queries.Length);
        var process = Process.GetCurrentProcess();
        var last = Stopwatch.StartNew();
        // The clients live for the whole run (their per-thread buffers stay warm) and meet at a barrier per chunk.
        var next = 0;
        var end = 0;
        var c = 0;
        var times = new double[Chunk];
        var stop = false;
        using var start = new Barrier(clients + 1);
        using var done = new Barrier(clients + 1);
        var workers = new Thread[clients];
        for (var k = 0; k < clients; k++)
        {
            workers[k] = new Thread(() =>
            {
                while (true)
                {
                    start.SignalAndWait();
                    if (Volatile.Read(ref stop)) return;
                    int i;
                    while ((i = Interlocked.Increment(ref next) - 1) < end)
                    {
                        var q0 = Stopwatch.GetTimestamp();
                        Recall(index, queries[i].Request, lucene);
                        times[i - c] = Stopwatch.GetElapsedTime(q0).TotalMilliseconds;
                    }
                    done.SignalAndWait();
                }
            }) { IsBackground = true };
            workers[k].Start();
        }
        for (c = 0; c < queries.Length; c += Chunk)
        {
            end = Math.Min(queries.Length, c + Chunk);
            for (var x = 0; x < threadModes.Length; x++)
            {
                index.RecallParallelism = threadModes[x];
                next = c;
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var t0 = Stopwatch.GetTimestamp();
                start.SignalAndWait();
                done.SignalAndWait();
                walls[x] += Stopwatch.GetElapsedTime(t0).TotalSeconds;
                process.Refresh();
                cpu[x] += (process.TotalProcessorTime - cpu0).TotalMilliseconds;
                latencies[x].AddRange(times.AsSpan(0, end - c));
            }
            if (last.ElapsedMilliseconds > 3000) { Console.Error.WriteLine($"throughput: {end:N0} / {queries.Length:N0} queries"); last.Restart(); }
        }
        Volatile.Write(ref stop, true);
        start.SignalAndWait();
        foreach (var w in workers) w.Join();
        index.RecallParallelism = threadModes[0];
        Console.WriteLine($"  throughput, {clients} concurrent clients, headline mix ({queries.Length:N0} queries per mode, chunks of {Chunk} interleaved across modes):");
        for (var x = 0; x < threadModes.Length; x++)
        {
            Console.WriteLine($"    {threadModes[x]} thread(s) per recall: {queries.Length / walls[x]:F0} queries/s, process CPU {cpu[x] / queries.Length:F2} ms per query; latency {Summary([.. latencies[x]])}");
        }
    }

    private sealed class TimeStats(int m)
    {
        private readonly double[] _times = new double[m];
        private readonly double[] _cpu = new double[m];
        private readonly double[] _total = new double[m];
        private readonly double[] _work = new double[m];
        private readonly double[] _skips = new double[m];
        private double _lookup, _scoring, _collect, _cands, _scored, _clauses, _essential, _decoded, _prime, _primed, _ratio, _parallel;
        private int _ratioCount;
        private long _candidates;
        private readonly Dictionary<string, (List<double> Wall, List<double> Cpu, List<double> Work, List<double> Ratio)> _kinds = [];

        /// <summary>The wall times of every query (named <paramref name="label"/>, or "all") and, with <paramref name="byKind"/>, of each kind.</summary>
        public IEnumerable<SearchRec.Evaluation.Reports.LatencySeries> Series(string label, string mode, bool byKind)
        {
            yield return new((label.Length > 0 ? label : "all queries") + mode, (double[])_times.Clone());
            if (!byKind) yield break;
            foreach (var (kind, lists) in _kinds.OrderBy(k => k.Key, StringComparer.Ordinal)) yield return new(kind + mode, [.. lists.Wall]);
        }

        public void Add(int i, string kind, double ms, double cpu, int hits, RecallWork w, bool lucene)
        {
            _times[i] = ms;
            _cpu[i] = cpu;
            _total[i] = cpu + w.HelperTicks * 1e3 / Stopwatch.Frequency;
            _parallel += w.ParallelSegments;
            _work[i] = lucene ? 0 : w.Postings + w.Advances;
            _skips[i] = lucene ? 0 : w.Advances;
            _lookup += w.LookupTicks * 1e3 / Stopwatch.Frequency;
            _cands += w.Candidates;
            _decoded += w.Decoded;
            _scored += w.Scored;
            _clauses += w.Clauses;
            _essential += w.Essential;
            _scoring += w.ScoreTicks * 1e3 / Stopwatch.Frequency;
            _collect += w.CollectTicks * 1e3 / Stopwatch.Frequency;
            _prime += w.PrimeTicks * 1e3 / Stopwatch.Frequency;
            _primed += w.Primed;
            _candidates += hits;
            if (!_kinds.TryGetValue(kind, out var lists)) _kinds[kind] = lists = ([], [], [], []);
            lists.Wall.Add(ms);
            lists.Cpu.Add(cpu);
            lists.Work.Add(_work[i]);
            // How close priming's threshold came to the final N-th score (0 when it gave none).
            if (w.Theta > 0)
            {
                var ratio = Math.Max(0, w.PrimeTheta) / w.Theta;
                lists.Ratio.Add(ratio);
                _ratio += ratio;
                _ratioCount++;
            }
        }

        public void Print(int m, bool byKind, bool lucene)
        {
            Console.WriteLine($"    wall:       {Summary(_times)}  mean candidates {_candidates / (double)m:F0}");
            if (ThreadCpu.Available)
                Console.WriteLine($"    thread CPU: {Summary(_cpu)}  (the calling thread's share: what the query costs it without contention)");
            if (_parallel > 0)
            {
                Console.WriteLine($"    + helpers:  {Summary(_total)}  (calling thread's CPU plus helpers' busy time; {_parallel / m:F2} split segments per query)");
            }
            if (!lucene)
            {
                Console.WriteLine($"    postings read + skips per query: {Summary(_work, "")}; skips alone: {Summary(_skips, "")}");
                Console.WriteLine($"    mean wall per query: term lookup {_lookup / m:F3} ms, scoring {_scoring / m:F3} ms (of which priming {_prime / m:F3} ms), result {_collect / m:F3} ms");
                Console.WriteLine($"    mean per query: {_cands / m:F0} candidates, {_scored / m:F0} scored, {_decoded / m:F0} short-list postings decoded, {_primed / m:F0} primed; per segment-query sums: {_clauses / m:F1} clauses, {_essential / m:F1} essential clause-windows");
                if (_ratioCount > 0) Console.WriteLine($"    priming threshold / final N-th score: mean {_ratio / _ratioCount:F2} over {_ratioCount:N0} queries with N results");
            }
            if (!byKind) return;
            foreach (var (kind, lists) in _kinds.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                var ratio = lists.Ratio.Count > 0 ? $"  theta0/theta mean {lists.Ratio.Average():F2}" : "";
                Console.WriteLine($"    {kind,-16} n={lists.Wall.Count,-6} wall {Summary([.. lists.Wall])}{ratio}");
                if (ThreadCpu.Available) Console.WriteLine($"    {"",-16} {"",-8} CPU  {Summary([.. lists.Cpu])}");
                if (!lucene) Console.WriteLine($"    {"",-16} {"",-8} work {Summary([.. lists.Work], "")}");
            }
        }
    }

    private static string Summary(double[] ms, string unit = " ms")
    {
        Array.Sort(ms);
        double P(double p) => ms[Math.Min(ms.Length - 1, (int)Math.Ceiling(p * ms.Length) - 1)];
        return $"p50 {P(0.50):F2}{unit}  p95 {P(0.95):F2}{unit}  p99 {P(0.99):F2}{unit}  max {ms[^1]:F1}{unit}  mean {ms.Average():F2}{unit}";
    }

    /// <summary>
    /// A seeded mix of shopper-like queries drawn from the catalog. Lengths follow real search-bar traffic: the
    /// ecom-search query log (100k Taobao queries) has median 6 characters, 95% at most 12, and under 1% above 20;
    /// "type" and "typo" pieces take their length from that histogram, and whole-title "long" queries are 1% of the
    /// headline mix (they are timed on their own as well, see <see cref="MakeLong"/>).
    /// </summary>
    private static class QueryMix
    {
        public sealed record Query(string Kind, RecallRequest Request);

        // Queries of 3..20 characters per 100k in ecom-search query-log.tsv (lengths 1-2 do not occur there).
        private static readonly int[] LogLengthCounts =
            [5187, 12763, 18630, 18161, 14768, 10076, 6223, 4269, 2865, 2123, 1336, 929, 670, 473, 319, 226, 163, 113];

        private static readonly int LogLengthTotal = LogLengthCounts.Sum();

        public static Query[] Make(List<Product> catalog, int count, int seed)
        {
            var rng = new Random(seed);
            var result = new Query[count];
            for (var i = 0; i < count; i++)
            {
                var p = catalog[rng.Next(catalog.Count)];
                var roll = rng.Next(100);
                var (kind, text) = roll switch
                {
                    < 16 => ("brand", p.Brand ?? Piece(p.Title, rng, 2, 3)),
                    < 32 => ("category", p.Category.Count > 0 ? p.Category[^1] : Piece(p.Title, rng, 2, 3)),
                    < 58 => ("type", Piece(p.Title, rng, LogLength(rng))),
                    < 72 => ("brand+type", (p.Brand ?? "") + " " + Piece(p.Title, rng, 2, 4)),
                    < 73 => ("long", LongText(catalog, p, rng)),
                    < 94 => ("typo", Typo(Piece(p.Title, rng, LogLength(rng)), rng)),
                    _ => ("odd", rng.Next(3) switch { 0 => "\"(华为 AND 手机~", 1 => "😀👍", _ => "xyzzy 12345" }),
                };
                result[i] = new Query(kind, WithFilter(new RecallRequest(text), p, rng, ref kind));
            }
            return result;
        }

        /// <summary>Only whole-title-plus-words queries (pasted titles), timed as their own class.</summary>
        public static Query[] MakeLong(List<Product> catalog, int count, int seed)
        {
            var rng = new Random(seed);
            var result = new Query[count];
            for (var i = 0; i < count; i++)
            {
                var p = catalog[rng.Next(catalog.Count)];
                var kind = "long";
                result[i] = new Query(kind, WithFilter(new RecallRequest(LongText(catalog, p, rng)), p, rng, ref kind));
            }
            return result;
        }

        private static string LongText(List<Product> catalog, Product p, Random rng) =>
            p.Title + " " + Piece(catalog[rng.Next(catalog.Count)].Title, rng, 4, 8);

        private static RecallRequest WithFilter(RecallRequest request, Product p, Random rng, ref string kind)
        {
            var filter = rng.Next(100);
            if (filter < 8 && p.Category.Count > 0) { kind += "+cat"; return request with { Category = p.Category[0] }; }
            if (filter < 14 && p.Brand is not null) { kind += "+brand"; return request with { Brand = p.Brand }; }
            if (filter < 20 && p.Price is { } price) { kind += "+price"; return request with { PriceMin = price * 0.5, PriceMax = price * 1.5 }; }
            return request;
        }

        private static int LogLength(Random rng)
        {
            var r = rng.Next(LogLengthTotal);
            for (var i = 0; i < LogLengthCounts.Length; i++)
            {
                if (r < LogLengthCounts[i]) return i + 3;
                r -= LogLengthCounts[i];
            }
            return LogLengthCounts.Length + 2;
        }

        private static string Piece(string title, Random rng, int length) => Piece(title, rng, length, length);

        private static string Piece(string title, Random rng, int min, int max)
        {
            var len = Math.Min(title.Length, rng.Next(min, max + 1));
            return title.Substring(rng.Next(title.Length - len + 1), len);
        }

        private static string Typo(string s, Random rng)
        {
            if (s.Length < 2) return s;
            var at = rng.Next(s.Length);
            return rng.Next(2) == 0 ? s.Remove(at, 1) : s[..at] + (char)('\u4E00' + rng.Next(0x5000)) + s[(at + 1)..];
        }
    }
}

/// <summary>The calling thread's CPU time (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>): latency without other processes' share.</summary>
internal static class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    public static bool Available { get; } = OperatingSystem.IsLinux() && Probe();

    public static double Milliseconds()
    {
        if (!Available) return 0;
        clock_gettime(ClockThreadCpuTimeId, out var ts);
        return ts.Seconds * 1e3 + ts.Nanoseconds / 1e6;
    }

    private static bool Probe()
    {
        try { return clock_gettime(ClockThreadCpuTimeId, out _) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int clock_gettime(int clockId, out TimeSpec time);
}

/// <summary>Helpers shared by the index benchmarks.</summary>
internal static class BenchIndexShared
{
    public static void PrintMachine() =>
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {Environment.OSVersion}");

    public static List<Product> Generate(int n)
    {
        var sw = Stopwatch.StartNew();
        var list = new List<Product>(n);
        var progress = Progress(n, "generating");
        foreach (var p in new ShopGenerator(new ShopOptions { Products = n, Users = 1 }).Products())
        {
            list.Add(p);
            if ((list.Count & 65535) == 0) progress.Report(list.Count);
        }
        Console.WriteLine($"generated {n:N0} synthetic products in {sw.Elapsed.TotalSeconds:F1} s (not counted below)");
        return list;
    }

    public static IProgress<long> Progress(long total, string what)
    {
        var last = Stopwatch.StartNew();
        var gate = new Lock();
        return new ProgressLine(v =>
        {
            lock (gate)
            {
                if (last.ElapsedMilliseconds < 3000) return;
                last.Restart();
                Console.Error.WriteLine($"{what}: {v:N0} / {total:N0}");
            }
        });
    }

    public static long DirectorySize(string dir)
    {
        long size = 0;
        foreach (var f in new DirectoryInfo(dir).EnumerateFiles()) size += f.Length;
        return size;
    }

    private sealed class ProgressLine(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
