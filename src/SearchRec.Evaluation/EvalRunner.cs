using SearchRec.Core;
using SearchRec.Core.Statistics;
using SearchRec.Evaluation.Metrics;
using SearchRec.Evaluation.Rankers;
using SearchRec.Evaluation.Trec;
using SearchRec.Text;
using System.Diagnostics;

namespace SearchRec.Evaluation;

/// <summary>Settings of one evaluation. Checked by <see cref="Validate"/>.</summary>
public sealed class EvalRunOptions
{
    /// <summary>Documents ranked per query (1 to 100,000). Default 1,000, enough for Recall@1000.</summary>
    public int Depth { get; set; } = 1_000;

    /// <summary>Permutations of the paired randomization test (100 to 1,000,000). Default 10,000.</summary>
    public int Permutations { get; set; } = SignificanceTests.DefaultPermutations;

    /// <summary>Bootstrap resamples of the confidence intervals (100 to 100,000). Default 2,000.</summary>
    public int Resamples { get; set; } = SignificanceTests.DefaultResamples;

    /// <summary>Queries ranked in parallel (1 to 256). Default: the processor count.</summary>
    public int Parallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Repeated cross-validation: the fold (and training) seeds of the cross-validated rankers, at most 20, distinct.
    /// Each trained ranker is cross-validated once per seed and every query's metrics are averaged over the seeds, so
    /// the figure does not hang on one split of a small query set; rankers without training run once. Null or empty:
    /// the context's seed alone. The bootstrap and the permutation test use the context's seed.
    /// </summary>
    public IReadOnlyList<int>? FoldSeeds { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field.</summary>
    public void Validate()
    {
        if (Depth is < 1 or > 100_000) throw new ArgumentException($"EvalRunOptions.Depth must be between 1 and 100,000 (was {Depth}).", nameof(Depth));
        if (Permutations is < 100 or > 1_000_000) throw new ArgumentException($"EvalRunOptions.Permutations must be between 100 and 1,000,000 (was {Permutations}).", nameof(Permutations));
        if (Resamples is < 100 or > 100_000) throw new ArgumentException($"EvalRunOptions.Resamples must be between 100 and 100,000 (was {Resamples}).", nameof(Resamples));
        if (Parallelism is < 1 or > 256) throw new ArgumentException($"EvalRunOptions.Parallelism must be between 1 and 256 (was {Parallelism}).", nameof(Parallelism));
        if (FoldSeeds is { Count: > 20 }) throw new ArgumentException($"EvalRunOptions.FoldSeeds holds {FoldSeeds.Count} seeds; at most 20 are allowed.", nameof(FoldSeeds));
        if (FoldSeeds is not null && FoldSeeds.Distinct().Count() != FoldSeeds.Count)
            throw new ArgumentException($"EvalRunOptions.FoldSeeds repeats a seed ({string.Join(", ", FoldSeeds)}).", nameof(FoldSeeds));
    }
}

/// <summary>Progress of an evaluation: which ranker, what it is doing, how far.</summary>
public readonly record struct EvalProgress(string Ranker, string Stage, int Done, int Total);

/// <summary>One ranker's result: its run, per-query metrics, confidence intervals and p-values against the first ranker.</summary>
/// <param name="Name">The ranker.</param>
/// <param name="Run">Its run over the evaluated queries.</param>
/// <param name="Metrics">Per-query metric values.</param>
/// <param name="Ci95">Per metric, the 95% bootstrap confidence interval of the mean.</param>
/// <param name="PValueVsFirst">Per metric, the paired randomization p-value against the first ranker (empty for the first).</param>
/// <param name="Sections">Report sections the ranker contributed (e.g. feature importance).</param>
/// <param name="Elapsed">Wall time of training and ranking.</param>
public sealed record RankerResult(
    string Name,
    TrecRun Run,
    RunMetrics Metrics,
    IReadOnlyDictionary<string, (double Low, double High)> Ci95,
    IReadOnlyDictionary<string, double> PValueVsFirst,
    IReadOnlyList<ReportSection> Sections,
    TimeSpan Elapsed)
{
    /// <summary>
    /// With several fold seeds (<see cref="EvalRunOptions.FoldSeeds"/>), a cross-validated ranker's metrics at each
    /// seed, in order; <see cref="Metrics"/> is then their per-query mean and <see cref="Run"/> the first seed's run.
    /// Empty for a ranker without training or a single seed.
    /// </summary>
    public IReadOnlyList<(int Seed, RunMetrics Metrics)> BySeed { get; init; } = [];
}

/// <summary>The result of evaluating one or more rankers on the same queries and folds.</summary>
/// <param name="QueryIds">The evaluated queries (those with a relevant judgment), in query-file order.</param>
/// <param name="Rankers">The results, in the order asked; p-values compare each with the first.</param>
/// <param name="Folds">Folds used for cross-validated rankers: the folds asked for, or the distinct query texts when fewer (leave one text out); 0 when no ranker evaluated was cross-validated.</param>
/// <param name="SkippedQueries">Queries in the query file without any relevant judgment (not evaluated).</param>
public sealed record EvalOutcome(IReadOnlyList<string> QueryIds, IReadOnlyList<RankerResult> Rankers, int Folds, int SkippedQueries)
{
    /// <summary>The fold seeds cross-validated rankers were run with (one unless <see cref="EvalRunOptions.FoldSeeds"/> named several).</summary>
    public IReadOnlyList<int> FoldSeeds { get; init; } = [];

    /// <summary>Each evaluated query's text, in the order of <see cref="QueryIds"/>; empty when the rankings came without them (run files).</summary>
    public IReadOnlyList<string> QueryTexts { get; init; } = [];
}

/// <summary>Runs registered rankers over a query set and scores them; cross-validated rankers are trained per fold.</summary>
public static class EvalRunner
{
    /// <summary>Evaluates the named rankers. Every ranker sees the same queries and the same folds.</summary>
    public static EvalOutcome Run(EvalRankerRegistry registry, EvalContext context, IReadOnlyList<string> rankers,
        EvalRunOptions options, IProgress<EvalProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Guard.NotNull(registry);
        Guard.NotNull(context);
        Guard.NotNull(rankers);
        Guard.NotNull(options);
        options.Validate();
        if (rankers.Count == 0) throw new ArgumentException("no ranker to evaluate", nameof(rankers));
        if (context.Folds < 2) throw new ArgumentException($"EvalContext.Folds must be at least 2 (was {context.Folds}).", nameof(context));

        var judged = new List<EvalQuery>();
        foreach (var q in context.Queries) if (context.Qrels.HasRelevant(q.Id)) judged.Add(q);
        var ids = judged.ConvertAll(q => q.Id);
        IReadOnlyList<int> seeds = options.FoldSeeds is { Count: > 0 } given ? given : [context.Seed];

        var results = new List<RankerResult>();
        foreach (var name in rankers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var watch = Stopwatch.StartNew();
            TrecRun run;
            RunMetrics metrics;
            var sections = new List<ReportSection>();
            var bySeed = new List<(int, RunMetrics)>();
            if (registry.IsCrossValidated(name))
            {
                run = null!;
                foreach (var seed in seeds)
                {
                    // A copy of the context per seed: training randomness follows the seed too, caches stay shared.
                    var seeded = seed == context.Seed ? context : context.WithSeed(seed);
                    var label = seeds.Count > 1 ? $"seed {seed}, " : "";
                    var seedRun = CrossValidate(registry, name, seeded, judged, ids, options, progress, label,
                        bySeed.Count == 0 ? sections : null, cancellationToken);
                    run ??= seedRun;
                    bySeed.Add((seed, RunMetrics.Evaluate(seedRun, context.Qrels, ids)));
                }
                metrics = bySeed.Count == 1 ? bySeed[0].Item2 : RunMetrics.Mean(bySeed.ConvertAll(s => s.Item2));
                if (bySeed.Count == 1) bySeed.Clear();
            }
            else
            {
                run = new TrecRun(name);
                var ranked = new IReadOnlyList<(string DocId, float Score)>[judged.Count];
                var ranker = registry.Create(name, context);
                CollectSections(ranker, sections, "");
                var all = new List<int>(judged.Count);
                for (var i = 0; i < judged.Count; i++) all.Add(i);
                RankAll(ranker, judged, all, ranked, options, progress, "rank", cancellationToken);
                for (var i = 0; i < judged.Count; i++) run.Set(ids[i], ranked[i] ?? []);
                metrics = RunMetrics.Evaluate(run, context.Qrels, ids);
            }
            var ci = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
            var p = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var m in RunMetrics.Names)
            {
                ci[m] = SignificanceTests.BootstrapCi(metrics.PerQuery(m), options.Resamples, context.Seed);
                if (results.Count > 0)
                    p[m] = SignificanceTests.PairedRandomization(metrics.PerQuery(m), results[0].Metrics.PerQuery(m), options.Permutations, context.Seed);
            }
            results.Add(new RankerResult(name, run, metrics, ci, p, sections, watch.Elapsed) { BySeed = bySeed });
        }
        // Folds are dealt by distinct text: with more folds than texts the extra ones are empty and it is leave-one-text-out.
        var texts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var q in judged) texts.Add(QueryTextComparer.Key(q.Text));
        var folds = rankers.Any(registry.IsCrossValidated) ? Math.Min(context.Folds, texts.Count) : 0;
        return new EvalOutcome(ids, results, folds, context.Queries.Count - judged.Count) { FoldSeeds = seeds, QueryTexts = judged.ConvertAll(q => q.Text) };
    }

    // One cross-validation of a trained ranker at the context's seed: its run over every judged query.
    private static TrecRun CrossValidate(EvalRankerRegistry registry, string name, EvalContext context, List<EvalQuery> judged,
        List<string> ids, EvalRunOptions options, IProgress<EvalProgress>? progress, string label, List<ReportSection>? sections,
        CancellationToken cancellationToken)
    {
        var folds = AssignFolds(judged.ConvertAll(q => q.Text), context.Folds, context.Seed);
        var ranked = new IReadOnlyList<(string DocId, float Score)>[judged.Count];
        var trained = new List<(int Fold, IEvalRanker Ranker)>();
        for (var f = 0; f < context.Folds; f++)
        {
            var train = new List<EvalQuery>();
            var test = new List<int>();
            for (var i = 0; i < judged.Count; i++)
                if (folds[i] == f) test.Add(i); else train.Add(judged[i]);
            if (test.Count == 0) continue;
            if (train.Count == 0)
                throw new ArgumentException($"the {judged.Count} evaluated queries share one text, so a trained ranker has no query of another text to learn from in cross-validation.");
            progress?.Report(new EvalProgress(name, $"{label}train fold {f + 1}/{context.Folds}", f, context.Folds));
            var ranker = registry.Train(name, context, train);
            trained.Add((f, ranker));
            RankAll(ranker, judged, test, ranked, options, progress, $"{label}rank fold {f + 1}/{context.Folds}", cancellationToken);
        }
        // A factory that hands every fold the same ranker (a saved one) reports it once, not once per fold.
        if (sections is not null && trained.Count > 0)
        {
            if (trained.TrueForAll(t => ReferenceEquals(t.Ranker, trained[0].Ranker))) CollectSections(trained[0].Ranker, sections, "");
            else foreach (var (f, r) in trained) CollectSections(r, sections, $" (fold {f + 1})");
        }
        var run = new TrecRun(name);
        for (var i = 0; i < judged.Count; i++) run.Set(ids[i], ranked[i] ?? []);
        return run;
    }

    /// <summary>
    /// The fold (0..folds-1) of each of <paramref name="count"/> queries: a seeded shuffle dealt round-robin, so folds
    /// differ in size by at most one and depend only on the count, fold number and seed.
    /// </summary>
    public static int[] AssignFolds(int count, int folds, int seed)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must not be negative");
        Guard.Positive(folds);
        var order = new int[count];
        for (var i = 0; i < count; i++) order[i] = i;
        new Random(seed).Shuffle(order);
        var fold = new int[count];
        for (var k = 0; k < count; k++) fold[order[k]] = k % folds;
        return fold;
    }

    /// <summary>
    /// The fold of each query of <paramref name="texts"/>, dealing distinct texts (as <see cref="QueryTextComparer"/>
    /// sees them) rather than queries: the same text under two ids, or a shop's many searches for one text, share a
    /// fold, so no text is trained on and scored in one cross-validation. With every text distinct the folds are those
    /// of <see cref="AssignFolds(int, int, int)"/> over the same count.
    /// </summary>
    public static int[] AssignFolds(IReadOnlyList<string> texts, int folds, int seed)
    {
        Guard.NotNull(texts);
        var keyOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var queryKey = new int[texts.Count];
        for (var i = 0; i < queryKey.Length; i++)
        {
            var key = QueryTextComparer.Key(texts[i]);
            if (!keyOf.TryGetValue(key, out var k)) keyOf[key] = k = keyOf.Count;
            queryKey[i] = k;
        }
        var foldOfKey = AssignFolds(keyOf.Count, folds, seed);
        var fold = new int[queryKey.Length];
        for (var i = 0; i < fold.Length; i++) fold[i] = foldOfKey[queryKey[i]];
        return fold;
    }

    private static void CollectSections(IEvalRanker ranker, List<ReportSection> sections, string suffix)
    {
        if (ranker is not IReportSectionSource source) return;
        foreach (var s in source.GetReportSections()) sections.Add(s with { Title = s.Title + suffix });
    }

    private static void RankAll(IEvalRanker ranker, List<EvalQuery> queries, List<int> which,
        IReadOnlyList<(string DocId, float Score)>[] ranked, EvalRunOptions options, IProgress<EvalProgress>? progress, string stage, CancellationToken ct)
    {
        var done = 0;
        var total = which.Count;
        progress?.Report(new EvalProgress(ranker.Name, stage, 0, total));
        var gate = new object();
        Parallel.For(0, total, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = ct }, k =>
        {
            var i = which[k];
            var q = queries[i];
            ranked[i] = ranker.Rank(q.Id, q.Text, options.Depth);
            var n = Interlocked.Increment(ref done);
            if (progress is not null && (n % 64 == 0 || n == total))
                lock (gate) progress.Report(new EvalProgress(ranker.Name, stage, n, total));
        });
    }
}
