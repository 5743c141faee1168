using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SearchRec.Evaluation.Reports;
using SearchRec.Collab.Models;
using SearchRec.Index;
using SearchRec.Ranking;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using SearchRec.Synthetic;
using SearchRec.Text;

namespace SearchRec.Cli.Commands;

/// <summary>
/// <c>searchrec bench search</c>: end-to-end search latency on a synthetic catalog (1M products by default) — recall
/// of the window, features, LambdaMART, top k — with p50/p99 per stage and the bytes allocated per request, in all and
/// per stage.
/// </summary>
public sealed class BenchSearchCommand : IBenchCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var products = new Option<int>("--products") { Description = "Products in the synthetic catalog.", DefaultValueFactory = _ => 1_000_000 };
        var indexDir = new Option<string>("--index") { Description = "Index directory: reused when it exists, else built there.", DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "searchrec-bench-search") };
        var models = new Option<string?>("--models") { Description = "A trained ranker (ranker.json); by default LambdaMART is trained on 200 synthetic queries." };
        var requests = new Option<int>("--requests") { Description = "Timed requests.", DefaultValueFactory = _ => 2000 };
        var window = new Option<int>("--window") { Description = "Recall window.", DefaultValueFactory = _ => 200 };
        var k = new Option<int>("--k") { Description = "Results per request.", DefaultValueFactory = _ => 10 };
        var preload = new Option<bool>("--preload") { Description = "Hold the whole catalog in a ProductCache (else products are read from the index per request)." };
        var trees = new Option<int>("--trees") { Description = "Trees of the LambdaMART trained here.", DefaultValueFactory = _ => 300 };
        var report = new Option<string>("--report") { Description = "HTML page of the latency distributions (percentile table, cumulative distribution and percentile charts).", DefaultValueFactory = _ => "out/bench-search.html" };
        var personal = new Option<bool>("--personal") { Description = "Also compute the collaborative group (with item recency): models trained on the synthetic shop's events, each request made by its query's user." };
        var dump = new Option<string?>("--dump") { Description = "Also write each timed request's results (product id and score) to this file, so two builds can be compared for identical results." };
        var allocTypes = new Option<int>("--alloc-types") { Description = "After timing, also list the N types the requests allocate most (sampled by the runtime's allocation ticks, in an untimed pass). 0: off.", DefaultValueFactory = _ => 0 };
        var cmd = new Command("search", "Latency of search (recall window + features + LambdaMART + top k) on a synthetic catalog, per stage, p50/p99.");
        foreach (var o in new Option[] { products, indexDir, models, requests, window, k, trees, preload, personal, report, dump, allocTypes }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var sw = Stopwatch.StartNew();
            void Log(string m) => Console.Error.WriteLine($"[{sw.Elapsed.TotalSeconds,6:F1}s] {m}");
            var n = pr.GetValue(products);
            var shop = new ShopGenerator(new ShopOptions { Products = n, Users = 2_000, SessionsPerUser = 5 });
            var dir = pr.GetValue(indexDir)!;
            ProductIndex index;
            if (File.Exists(Path.Combine(dir, "searchrec-index.json")))
            {
                index = ProductIndex.Open(dir);
                // A reused index kept its own size: --products was ignored, and the timed queries came from a shop of another size.
                if (index.Count != n)
                {
                    var message = $"{dir} holds {index.Count:N0} products, not the {n:N0} of --products; delete it or pass --index NEW to build one of that size";
                    if (pr.GetResult(products) is { Implicit: false })
                    {
                        index.Dispose();
                        Console.Error.WriteLine($"bench search: --products: {message}.");
                        return 2;
                    }
                    Log($"warning: {message}");
                }
                // An index changed by `index --update` since it was built may hold more segments than its options say.
                Log($"opened {dir}: {index.Count:N0} products, doc order {index.Options.DocOrder}, built as one segment {index.Options.MergeToOneSegment}, {Directory.GetFiles(dir, "*.si").Length} segments now");
                // A reused index keeps the settings it was built with, so it may not measure today's defaults.
                var defaults = new IndexOptions();
                if (index.Options.DocOrder != defaults.DocOrder || index.Options.MergeToOneSegment != defaults.MergeToOneSegment
                    || index.Options.FoldTraditional != defaults.FoldTraditional)
                    Log($"warning: {dir} was built with other index settings than today's defaults (doc order {defaults.DocOrder}, one segment {defaults.MergeToOneSegment}, traditional folding {defaults.FoldTraditional}); delete it or pass --index NEW to measure them");
            }
            else
            {
                index = ProductIndex.Build(shop.Products(), new IndexOptions(), dir, new SyncProgress<long>(c => { if (c % 100_000 == 0) Log($"indexed {c:N0}"); }));
                Log($"built {dir}: {index.Count:N0} products");
            }
            using var _ = index;
            var tokenizer = new ChineseTokenizer();
            IProductRecall recallStage = index;
            if (pr.GetValue(preload))
            {
                var cache = new ProductCache(index);
                cache.Preload(shop.Products());
                recallStage = cache;
                Log($"preloaded {cache.Cached:N0} products; managed heap {GC.GetTotalMemory(true) / (1 << 20):N0} MiB");
            }
            UserHistories? histories = null;
            var extractor = StandardFeatures.ForSearch();
            if (pr.GetValue(personal))
            {
                var events = shop.Events().ToList();
                histories = new UserHistories(events);
                var collab = CollabModels.Train(events, new CollabOptions());
                extractor = StandardFeatures.ForSearch(new FeatureSources { Collab = collab, Products = recallStage.GetProduct, Activity = ItemActivity.Build(events) });
                Log($"collaborative models and item activity from {events.Count:N0} events of {histories.Users:N0} users");
            }
            var queries = shop.Queries().Take(pr.GetValue(requests) + 300).ToList();
            IRankerModel model;
            if (pr.GetValue(models) is string m)
                model = RankerStore.Load(ModelLocations.Ranker(m) ?? m, extractor.Schema);
            else
            {
                var train = queries.Take(200).Select(q => new JudgedQuery(q.QueryId, q.Text, histories is null ? null : q.UserId) { Timestamp = q.Timestamp }).ToList();
                var qrels = queries.Take(200).ToDictionary(q => q.QueryId, q => q.Judgments.ToDictionary(j => j.ItemId, j => j.Grade));
                var data = SearchTrainingData.Build(index, tokenizer, extractor, train, qrels, pr.GetValue(window), histories: histories);
                model = LambdaMartTrainer.Train(data, new LambdaMartOptions { Trees = pr.GetValue(trees) }).Model;
                Log($"trained LambdaMART ({((TreeEnsembleRanker)model).Trees.Count} trees) on {data.Groups.Count} queries");
            }
            var pipeline = new SearchPipeline(recallStage, tokenizer, extractor, model, new SearchPipelineOptions { RecallWindow = pr.GetValue(window), TopK = pr.GetValue(k) },
                history: histories is null ? null : u => histories.History(u, max: 200));
            var timed = queries.Skip(200).Take(pr.GetValue(requests)).ToList();
            foreach (var q in timed.Take(100)) pipeline.Search(new SearchRequest(q.Text) { UserId = histories is null ? null : q.UserId }); // warm-up
            var recall = new List<double>();
            var fetch = new List<double>();
            var features = new List<double>();
            var score = new List<double>();
            var topk = new List<double>();
            var total = new List<double>();
            var wall = new List<double>();
            long recalled = 0, allocated = 0;
            var answers = pr.GetValue(dump) is null ? null : new List<(string QueryId, SearchResponse Response)>(timed.Count);
            foreach (var q in timed)
            {
                var request = new SearchRequest(q.Text) { UserId = histories is null ? null : q.UserId };
                // Every thread's bytes (a heavy recall is split over two), read outside the timed call.
                var a0 = Allocated.Total();
                var t0 = Stopwatch.GetTimestamp();
                var r = pipeline.Search(request);
                var elapsed = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                allocated += Allocated.Total() - a0;
                wall.Add(elapsed);
                recall.Add(r.Timings.RecallMs);
                fetch.Add(r.Timings.FetchMs);
                features.Add(r.Timings.FeaturesMs);
                score.Add(r.Timings.ScoreMs);
                topk.Add(r.Timings.TopKMs);
                total.Add(r.Timings.TotalMs);
                recalled += r.Recalled;
                answers?.Add((q.QueryId, r));
            }
            if (pr.GetValue(dump) is string dumpPath)
            {
                using var file = new StreamWriter(dumpPath);
                foreach (var (id, answer) in answers!)
                    file.WriteLine($"{id} {answer.Recalled} " + string.Join(' ', answer.Hits.Select(h => $"{h.Product.Id}:{h.Score.ToString("R", CultureInfo.InvariantCulture)}")));
            }
            var perStage = StageAllocations(timed, recallStage, tokenizer, extractor, model, pr.GetValue(window), histories);
            var perRequest = allocated / (double)Math.Max(1, timed.Count);
            string[] notes =
            [
                $"machine: {BenchData.Machine()}",
                $"catalog: {index.Count:N0} synthetic products; {timed.Count} synthetic-shop queries, mean {recalled / Math.Max(1, timed.Count)} candidates recalled (window {pr.GetValue(window)}), k {pr.GetValue(k)}",
                $"products: {(pr.GetValue(preload) ? "preloaded ProductCache" : "read from the index per request")}",
                $"ranker: {model.Kind}, {extractor.Schema}{(histories is null ? ", anonymous requests" : ", personal requests (collab group with item recency)")}" + (model is TreeEnsembleRanker t ? $", {t.Trees.Count} trees" : ""),
                $"allocated per request (all threads, mean of the timed requests): {Allocated.KiB(perRequest)}",
                "allocated per request by stage (each stage called alone over the same queries, mean): "
                    + string.Join(", ", perStage.Select(p => $"{p.Stage} {Allocated.KiB(p.Bytes)}"))
                    + $", the rest (top k, hits, response, request id) {Allocated.KiB(Math.Max(0, perRequest - perStage.Sum(p => p.Bytes)))}",
            ];
            foreach (var line in notes) Console.WriteLine(line);
            Console.WriteLine($"{"stage",-10} {"p50 ms",8} {"p90 ms",8} {"p99 ms",8} {"mean ms",8}");
            var stages = new[] { ("recall", recall), ("fetch", fetch), ("features", features), ("model", score), ("top-k", topk), ("total", total), ("wall", wall) };
            foreach (var (name, list) in stages)
            {
                list.Sort();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-10} {BenchData.Percentile(list, 0.50),8:F3} {BenchData.Percentile(list, 0.90),8:F3} {BenchData.Percentile(list, 0.99),8:F3} {list.Average(),8:F3}"));
            }
            const string Goal = "target (issue #4): total p50 <= 5 ms, p99 <= 20 ms on the 2-core machine";
            Console.WriteLine(Goal);
            var reportPath = Path.GetFullPath(pr.GetValue(report)!);
            LatencyReport.Write(reportPath, "bench search: latency per stage", [.. notes, Goal], [.. stages.Select(st => new LatencySeries(st.Item1, st.Item2))]);
            Console.Error.WriteLine($"report: {reportPath}");
            if (pr.GetValue(allocTypes) is > 0 and var top)
            {
                using var sampler = new AllocationSampler();
                sampler.Start();
                foreach (var q in timed) pipeline.Search(new SearchRequest(q.Text) { UserId = histories is null ? null : q.UserId });
                sampler.Stop();
                sampler.Print("search requests", timed.Count, top);
            }
            return 0;
        });
        return cmd;
    }

    // The bytes each stage allocates per request, the stages called one by one as SearchPipeline calls them.
    private static List<(string Stage, double Bytes)> StageAllocations(List<ShopQuery> queries, IProductRecall recall, ITokenizer tokenizer,
        FeatureExtractor extractor, IRankerModel model, int window, UserHistories? histories)
    {
        long recallBytes = 0, fetchBytes = 0, historyBytes = 0, featureBytes = 0, modelBytes = 0;
        var dim = extractor.Schema.Count;
        var matrix = new float[window * dim];
        var scores = new float[window];
        var candidates = new RankingCandidate[window];
        foreach (var q in queries)
        {
            var a0 = Allocated.Total();
            var recalled = recall.Recall(new RecallRequest(q.Text) { TopN = window });
            var a1 = Allocated.Total();
            var n = 0;
            for (var i = 0; i < recalled.Count && n < candidates.Length; i++)
                if (recall.GetProduct(recalled[i].ProductId) is { } product) candidates[n++] = new RankingCandidate(recalled[i], product);
            var a2 = Allocated.Total();
            var history = histories?.History(q.UserId, max: 200);
            var a3 = Allocated.Total();
            extractor.Extract(RankingQuery.Create(q.Text, tokenizer, histories is null ? null : q.UserId, history), candidates.AsSpan(0, n), matrix);
            var a4 = Allocated.Total();
            if (n > 0) model.Score(matrix.AsSpan(0, n * dim), n, scores.AsSpan(0, n));
            var a5 = Allocated.Total();
            recallBytes += a1 - a0; fetchBytes += a2 - a1; historyBytes += a3 - a2; featureBytes += a4 - a3; modelBytes += a5 - a4;
        }
        double per(long b) => b / (double)Math.Max(1, queries.Count);
        List<(string, double)> stages = [("recall", per(recallBytes)), ("fetch", per(fetchBytes))];
        if (histories is not null) stages.Add(("user history", per(historyBytes)));
        stages.Add(("features", per(featureBytes)));
        stages.Add(("model", per(modelBytes)));
        return stages;
    }
}
