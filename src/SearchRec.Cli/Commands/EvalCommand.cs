using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SearchRec.Core.Judgments;
using SearchRec.Core;
using SearchRec.Core.Catalog;
using SearchRec.Evaluation;
using SearchRec.Evaluation.Metrics;
using SearchRec.Evaluation.Rankers;
using SearchRec.Evaluation.Reports;
using SearchRec.Evaluation.Trec;
using SearchRec.Index;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Training;
using Spectre.Console;

namespace SearchRec.Cli.Commands;

/// <summary>
/// <c>searchrec eval</c>: runs named rankers over a catalog (indexed on the fly or opened), writes TREC runs,
/// prints MRR@10, nDCG@10, Recall@100 and Recall@1000 with 95% bootstrap intervals and paired p-values against
/// the first ranker, and writes an HTML report.
/// </summary>
public sealed class EvalCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var catalog = new Option<string[]>("--catalog") { Description = "Catalog file(s), JSONL or TSV (not needed with --index).", AllowMultipleArgumentsPerToken = true };
        var queries = new Option<string?>("--queries") { Description = "Queries, 'qid<TAB>query' (or give --pairs)." };
        var qrels = new Option<string?>("--qrels") { Description = "TREC qrels 'qid 0 docid grade' (or give --pairs)." };
        var pairs = new Option<string?>("--pairs") { Description = "Instead of --catalog, --queries and --qrels: graded query–title JSON Lines (QBQTC's {query, title, label}); every query with a relevant title is evaluated over the pairs' titles." };
        var pairsCatalog = new Option<string[]>("--pairs-catalog") { Description = "With --pairs: more graded-pair JSON Lines whose titles join the catalog, unjudged (e.g. QBQTC dev.jsonl beside test_public.jsonl).", AllowMultipleArgumentsPerToken = true };
        var ranker = new Option<string>("--ranker") { Description = "Ranker name, a comma-separated list, or 'all'; 'list' describes every ranker and what it needs.", DefaultValueFactory = _ => "bm25" };
        var index = new Option<string?>("--index") { Description = "Open this index instead of indexing the catalog in memory." };
        var runOut = new Option<string?>("--run-out") { Description = "TREC run file to write (with several rankers, the ranker name is added before the extension). Default out/runs/RANKER.run." };
        var perQuery = new Option<bool>("--per-query") { Description = "Also print every query's metrics." };
        var json = new Option<bool>("--json") { Description = "End the output with one JSON object per ranker (one line each)." };
        var folds = new Option<int>("--folds") { Description = "Cross-validation folds for trained rankers.", DefaultValueFactory = _ => 5 };
        var models = new Option<string?>("--models") { Description = "Directory of trained models, for rankers that load them." };
        var events = new Option<string[]>("--events") { Description = "Behaviour event CSV file(s), or a service's event store (events.db), for personalised rankers.", AllowMultipleArgumentsPerToken = true };
        var queryUsers = new Option<string?>("--query-users") { Description = "'qid<TAB>user_id[<TAB>timestamp]' file. Default: queries-users.tsv beside the queries, if present." };
        var report = new Option<string>("--report") { Description = "HTML report to write.", DefaultValueFactory = _ => "out/eval-report.html" };
        var depth = new Option<int>("--depth") { Description = "Documents ranked per query.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Seed of folds, bootstrap and permutation test.", DefaultValueFactory = _ => 42 };
        var oodTrain = new Option<string?>("--ood-train") { Description = "Graded query–title JSON Lines (QBQTC dev.jsonl) giving out-of-domain training groups to the *-qbqtc rankers and lambdamart-towers-transfer; refused when no ranker named reads it." };
        var oodCatalog = new Option<string[]>("--ood-catalog") { Description = "More graded-pair JSON Lines whose titles join the out-of-domain catalog (e.g. QBQTC test_public.jsonl).", AllowMultipleArgumentsPerToken = true };
        var oodQueries = new Option<int>("--ood-queries") { Description = "Out-of-domain training queries to use (the file's first ones with a relevant title).", DefaultValueFactory = _ => 2_000 };
        var seeds = new Option<string?>("--seeds") { Description = "Repeated cross-validation: comma-separated fold seeds (e.g. 42,1,2); trained rankers are cross-validated at each and every query's metrics averaged over them. The first also seeds the bootstrap and the test, and writes the runs. Overrides --seed." };
        var window = new Option<int>("--window") { Description = "Candidates the trained rankers re-rank (the rescore window; the rest keep BM25's order below them), as search --window.", DefaultValueFactory = _ => 200 };
        var limit = new Option<int>("--limit") { Description = "Evaluate only the first N queries of the file (0 = all).", DefaultValueFactory = _ => 0 };

        var cmd = new Command("eval", "Evaluate rankers on queries and TREC qrels: MRR@10, nDCG@10, Recall@100/1000, CIs, p-values, HTML report.");
        foreach (var o in new Option[] { catalog, queries, qrels, pairs, pairsCatalog, ranker, index, runOut, perQuery, json, folds, models, events, queryUsers, report, depth, seed, seeds, limit, window, oodTrain, oodCatalog, oodQueries })
            cmd.Options.Add(o);
        cmd.SetAction((pr, ct) => Task.FromResult(Execute(new Args(
            pr.GetValue(catalog) ?? [], pr.GetValue(queries), pr.GetValue(qrels), pr.GetValue(ranker)!, pr.GetValue(index),
            pr.GetValue(runOut), pr.GetValue(perQuery), pr.GetValue(json), pr.GetValue(folds), pr.GetValue(models),
            pr.GetValue(events) ?? [], pr.GetValue(queryUsers), pr.GetValue(report)!, pr.GetValue(depth), pr.GetValue(seed), pr.GetValue(limit))
        {
            OodTrain = pr.GetValue(oodTrain),
            OodCatalog = pr.GetValue(oodCatalog) ?? [],
            OodQueries = pr.GetValue(oodQueries),
            OodQueriesGiven = pr.GetResult(oodQueries) is { Implicit: false },
            WindowGiven = pr.GetResult(window) is { Implicit: false },
            Seeds = pr.GetValue(seeds),
            Pairs = pr.GetValue(pairs),
            PairsCatalog = pr.GetValue(pairsCatalog) ?? [],
            Window = pr.GetValue(window),
        }, ct)));
        return cmd;
    }

    internal sealed record Args(string[] Catalog, string? Queries, string? Qrels, string Ranker, string? Index, string? RunOut,
        bool PerQuery, bool Json, int Folds, string? Models, string[] Events, string? QueryUsers, string Report, int Depth, int Seed, int Limit)
    {
        public string? OodTrain { get; init; }
        public string[] OodCatalog { get; init; } = [];
        public int OodQueries { get; init; } = 2_000;
        public bool OodQueriesGiven { get; init; }
        /// <summary>Whether --window was typed (not its default).</summary>
        public bool WindowGiven { get; init; }
        public string? Seeds { get; init; }
        public string? Pairs { get; init; }
        public string[] PairsCatalog { get; init; } = [];
        public int Window { get; init; } = 200;
    }

    /// <summary>The fold seeds of <c>--seeds</c> ("42,1,2"), or null without it; throws naming a bad entry.</summary>
    // The first-stage rankers: they read neither the rescore window nor the fold seeds.
    private static readonly HashSet<string> PlainBm25 = ["bm25", "bm25-title", "bm25-bigram"];

    internal static IReadOnlyList<int>? ParseSeeds(string? text)
    {
        if (text is null) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var result = new List<int>(parts.Length);
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s))
                throw new ArgumentException($"--seeds: '{part}' is not a whole number (expected a comma-separated list such as 42,1,2)");
            if (result.Contains(s)) throw new ArgumentException($"--seeds: {s} is listed twice");
            result.Add(s);
        }
        if (result.Count > 20) throw new ArgumentException($"--seeds: {result.Count} seeds; at most 20 are allowed");
        return result;
    }

    // Every registered ranker with its description: those 'all' runs (when the inputs can feed them), then the experimental ones.
    private static int ListRankers()
    {
        var registry = EvalRankerRegistry.Default;
        registry.AddModules(EvalRankerRegistry.SearchRecAssemblies(typeof(EvalCommand).Assembly));
        foreach (var experimental in new[] { false, true })
        {
            Console.WriteLine(experimental ? "\nexperimental (run only when named):" : "rankers ('all' runs those its inputs can feed):");
            foreach (var name in registry.Names)
                if (registry.IsExperimental(name) == experimental)
                    Console.WriteLine($"  {name,-32} {registry.Describe(name)}");
        }
        return 0;
    }

    /// <summary>
    /// Refuses an optional input (<paramref name="option"/>) that none of the <paramref name="resolved"/> rankers reads
    /// (as registered: <see cref="EvalRankerRegistry.Reads"/>): it would be ignored, and the figures taken for ones
    /// that used it. The message names the main rankers that read it, or the experimental ones when no main one does.
    /// </summary>
    private static void RefuseUnread(EvalRankerRegistry registry, IReadOnlyList<string> resolved, string rankerSpec, EvalRankerInputs input, string option, string readersAre)
    {
        bool Reads(string name) => (registry.Reads(name) & input) != 0;
        if (resolved.Any(Reads)) return;
        var readers = registry.Names.Where(Reads).ToList();
        var main = readers.Where(n => !registry.IsExperimental(n)).ToList();
        throw new ArgumentException($"{option} is read only by the rankers that {readersAre} ({string.Join(", ", main.Count > 0 ? main : readers)}); --ranker {rankerSpec} names none of them");
    }

    internal static int Execute(Args a, CancellationToken ct)
    {
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        try
        {
            return Run(a, err, ct);
        }
        catch (Exception e) when (e is JudgmentFormatException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException or SearchRec.Ranking.Models.RankerSchemaMismatchException)
        {
            Console.Error.WriteLine($"eval: {CliErrors.Message(e)}");
            return 2;
        }
    }

    private static int Run(Args a, IAnsiConsole err, CancellationToken ct)
    {
        if (a.Ranker.Trim().Equals("list", StringComparison.OrdinalIgnoreCase)) return ListRankers();
        if (a.Folds < 2) throw new ArgumentException($"--folds must be at least 2 (was {a.Folds})");
        if (a.Limit < 0) throw new ArgumentException($"--limit must not be negative (was {a.Limit})");
        if (a.Window is < 1 or > 10_000) throw new ArgumentException($"--window must be between 1 and 10,000 (was {a.Window})");
        OutputFiles.Check(a.Report, "--report");
        if (a.RunOut is not null) OutputFiles.Check(a.RunOut, "--run-out");
        if (a.Pairs is not null)
        {
            if (a.Catalog.Length > 0 || a.Queries is not null || a.Qrels is not null || a.Index is not null || a.QueryUsers is not null)
                throw new ArgumentException("--pairs gives the catalog, queries and judgments, and no user: leave out --catalog, --queries, --qrels, --query-users and --index");
            foreach (var f in (string[])[a.Pairs, .. a.PairsCatalog]) if (!File.Exists(f)) throw new FileNotFoundException($"--pairs / --pairs-catalog: {f}: file not found", f);
        }
        else
        {
            if (a.PairsCatalog.Length > 0) throw new ArgumentException("--pairs-catalog needs --pairs");
            if (a.Queries is null || a.Qrels is null) throw new ArgumentException("give --queries FILE and --qrels FILE (or --pairs FILE)");
            if (a.Index is null && a.Catalog.Length == 0) throw new ArgumentException("give --catalog FILE (indexed in memory) or --index DIR");
        }
        // Without the training file they choose from, both were ignored.
        if (a.OodTrain is null && (a.OodCatalog.Length > 0 || a.OodQueriesGiven))
            throw new ArgumentException($"{(a.OodCatalog.Length > 0 ? "--ood-catalog" : "--ood-queries")} needs --ood-train (the out-of-domain judgments it goes with)");
        // Only the users' histories make a query's user count; without them every query was ranked as an anonymous one.
        if (a.QueryUsers is not null && a.Pairs is null && a.Events.Length == 0)
            throw new ArgumentException("--query-users needs --events (the users' histories, CSV files or a service's events.db): without them each query is ranked as an anonymous one");
        foreach (var f in a.Events) if (!File.Exists(f)) throw new FileNotFoundException($"--events: {f}: file not found", f);
        if (a.OodTrain is not null && !File.Exists(a.OodTrain)) throw new FileNotFoundException($"--ood-train: {a.OodTrain}: file not found", a.OodTrain);
        foreach (var f in a.OodCatalog) if (!File.Exists(f)) throw new FileNotFoundException($"--ood-catalog: {f}: file not found", f);
        if (a.OodQueries < 1) throw new ArgumentException($"--ood-queries must be at least 1 (was {a.OodQueries})");
        if (a.Models is not null && !Directory.Exists(a.Models)) throw new DirectoryNotFoundException($"--models: {a.Models}: directory not found");
        var foldSeeds = ParseSeeds(a.Seeds);
        var runOptions = new EvalRunOptions { Depth = a.Depth, FoldSeeds = foldSeeds };
        try { runOptions.Validate(); }
        catch (ArgumentException e) when (e.ParamName == nameof(EvalRunOptions.Depth))
        {
            throw new ArgumentException(CliErrors.Message(e, nameof(EvalRunOptions), _ => "--depth"), e);
        }

        var registry = EvalRankerRegistry.Default;
        registry.AddModules(EvalRankerRegistry.SearchRecAssemblies(typeof(EvalCommand).Assembly));
        var resolved = registry.Resolve(a.Ranker); // unknown names are refused before any file is read
        // Each was ignored by rankers that do not read it: the histories feed only the collaborative and behaviour-tower
        // features, the out-of-domain judgments only the rankers trained on them.
        if (a.OodTrain is not null)
            RefuseUnread(registry, resolved, a.Ranker, EvalRankerInputs.OutOfDomainTraining, "--ood-train", "learn from out-of-domain judgments");
        else if (resolved.Where(n => (registry.Reads(n) & EvalRankerInputs.OutOfDomainTraining) != 0).ToList() is { Count: > 0 } needing)
            // They train on it: without it they failed at their first fold, after the index was built and the others ran.
            throw new ArgumentException($"{string.Join(", ", needing)} {(needing.Count == 1 ? "learns" : "learn")} from out-of-domain judgments: give --ood-train FILE (graded query–title JSON Lines, as QBQTC's dev.jsonl)");
        // BM25 alone ranks its own run to --depth and trains nothing: --window and --seeds were ignored (the table
        // even said "mean of 2 cross-validations").
        if (a.WindowGiven && resolved.All(PlainBm25.Contains))
            throw new ArgumentException($"--window sets how many of BM25's candidates the re-rankers re-rank; --ranker {a.Ranker} names none of them");
        if (foldSeeds is not null && !resolved.Any(registry.IsCrossValidated))
            throw new ArgumentException($"--seeds repeats the cross-validation of the trained rankers; --ranker {a.Ranker} names none of them");
        if (a.Events.Length > 0)
        {
            RefuseUnread(registry, resolved, a.Ranker, EvalRankerInputs.Events, "--events", "use the users' histories");
            if (a.Models is null || (ModelLocations.Collab(a.Models) is null && ModelLocations.Deep(a.Models) is null))
                throw new ArgumentException("--events needs --models holding collaborative models (train-cf) or a behaviour tower (train-deep --events): only their features read the users' histories");
        }
        if (a.Models is not null && a.Ranker.Split(',', StringSplitOptions.TrimEntries) is var named && (named.Contains("fused") || named.Contains("all")))
        {
            // Plain lines on stderr, unwrapped: which ranker `fused` is, whether it saw these judgments, its window.
            foreach (var line in RankerNotes.Source(a.Models, a.Queries, a.Qrels)) Console.Error.WriteLine(line);
            if (RankerNotes.Window(a.Models, a.Window) is { } note) Console.Error.WriteLine(note);
        }

        IReadOnlyList<EvalQuery> queryList;
        Qrels judgments;
        IReadOnlyList<Product>? pairTitles = null;
        if (a.Pairs is not null)
            (queryList, judgments, pairTitles) = ReadPairs(a.Pairs, a.PairsCatalog, err);
        else
        {
            queryList = TrecFiles.ReadQueries(a.Queries!);
            var usersFile = a.QueryUsers ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(a.Queries!)) ?? ".", "queries-users.tsv");
            if (a.QueryUsers is not null || File.Exists(usersFile)) queryList = TrecFiles.WithUsers(queryList, usersFile);
            judgments = TrecFiles.ReadQrels(a.Qrels!, CliErrors.Note);
            var asked = queryList.Select(q => q.Id).ToHashSet(StringComparer.Ordinal);
            var unasked = judgments.QueryIds.Count(q => judgments.HasRelevant(q) && !asked.Contains(q));
            if (unasked > 0)
                Console.Error.WriteLine($"note: {unasked} queries judged in {a.Qrels} are not in {a.Queries} and were not evaluated");   // unwrapped: it names paths
        }
        if (a.Limit > 0 && queryList.Count > a.Limit) queryList = [.. queryList.Take(a.Limit)];
        if (a.Events.Length > 0 && !queryList.Any(q => q.UserId is not null))
            throw new ArgumentException(a.Pairs is not null
                ? "--events needs queries with users, and --pairs gives none"
                : $"--events needs queries with users: none of the queries {(a.Limit > 0 ? $"(--limit {a.Limit}) " : "")}in {a.Queries} has one (give --query-users FILE, 'qid<TAB>user_id[<TAB>timestamp]', or put queries-users.tsv beside the queries)");
        if (a.Models is not null && a.Ranker.Split(',', StringSplitOptions.TrimEntries) is var scored && (scored.Contains("fused") || scored.Contains("all"))
            && RankerNotes.TrainedOn(a.Models, queryList.Where(q => judgments.HasRelevant(q.Id)).Select(q => q.Text).ToList()) is { } trainedOn)
            Console.Error.WriteLine(trainedOn);   // unwrapped, as the notes above
        // Refused before any indexing or training: every figure would be over no query.
        if (a.Pairs is null && !queryList.Any(q => judgments.HasRelevant(q.Id)))
            throw new ArgumentException(!judgments.QueryIds.Any(judgments.HasRelevant)
                ? $"{a.Qrels} has no document graded above 0, so there is nothing to evaluate"
                : $"none of the {queryList.Count} queries {(a.Limit > 0 ? $"(--limit {a.Limit}) " : "")}in {a.Queries} has a relevant judgment in {a.Qrels} (do the query ids match?)");

        // A named ranker whose inputs are missing (--events, --models, users) is refused here, before the catalog is read
        // and indexed; what needs the index (a saved ranker's features) is asked again below.
        registry.Resolve(a.Ranker, new EvalContext(NoIndex.Instance, [], queryList, judgments) { ModelsDirectory = a.Models, EventFiles = a.Events, ArgumentsOnly = true });

        if (a.Depth < 1_000)   // unwrapped notes, as the one above
            Console.Error.WriteLine($"note: --depth {a.Depth} ranks at most {a.Depth} documents per query, so recall@1000"
                + (a.Depth < 100 ? " and recall@100 are" : " is") + $" recall@{a.Depth}");

        using var index = pairTitles is null ? OpenOrBuild(a, err, out var products) : BuildInMemory(pairTitles, err, out products);
        if (pairTitles is null && UnfindableJudgments(queryList, judgments, products) is { } unfindable) Console.Error.WriteLine(unfindable);
        var context = new EvalContext(index, products, queryList, judgments)
        {
            ModelsDirectory = a.Models,
            EventFiles = a.Events,
            Folds = a.Folds,
            Seed = foldSeeds?[0] ?? a.Seed,
            OutOfDomainTraining = a.OodTrain,
            OutOfDomainCatalog = a.OodCatalog,
            OutOfDomainQueries = a.OodQueries,
            RerankWindow = a.Window,
            Log = new SyncProgress<string>(line => err.MarkupLineInterpolated($"[grey]{line}[/]")),
        };

        var names = registry.Resolve(a.Ranker, context, skipped => err.MarkupLineInterpolated($"[yellow]all: left out {skipped}[/]"));
        if (names.Count == 0) throw new ArgumentException($"no ranker of '{a.Ranker}' can run on these inputs");
        EvalOutcome outcome = null!;
        err.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new SyncProgress<EvalProgress>(p =>
                {
                    var key = p.Ranker + " " + p.Stage;
                    if (!tasks.TryGetValue(key, out var task))
                        tasks[key] = task = ctx.AddTask(Markup.Escape(key), maxValue: Math.Max(1, p.Total));
                    task.Value = p.Done;
                });
                outcome = EvalRunner.Run(registry, context, names, runOptions, progress, ct);
            });

        if (outcome.QueryIds.Count == 0)
            throw new ArgumentException(a.Pairs is not null ? $"{a.Pairs}: no query has a title graded 1 or more" : $"none of the {queryList.Count} queries in {a.Queries} has a relevant judgment in {a.Qrels} (do the query ids match?)");
        if (outcome.SkippedQueries > 0)
            err.MarkupLineInterpolated($"[yellow]{outcome.SkippedQueries} queries have no relevant judgment and were not evaluated[/]");

        foreach (var r in outcome.Rankers)
        {
            var path = RunPath(a.RunOut, r.Name, outcome.Rankers.Count);
            try
            {
                TrecFiles.WriteRun(r.Run, path);
                err.MarkupLineInterpolated($"[grey]run {r.Name}: {path}[/]");
            }
            catch (ArgumentException e)
            {
                // The metrics below stand (they are computed on the ranking itself); only the file cannot hold it,
                // and an older run left at the path would be taken for this one.
                var stale = File.Exists(path);
                if (stale) File.Delete(path);
                err.MarkupLineInterpolated($"[yellow]run {r.Name}: not written to {path}{(stale ? " (the older file there was removed)" : "")}: {e.Message}[/]");
            }
        }

        if (a.Pairs is not null)
        {
            // The judgments were made in memory from the pairs: without them on disk the runs could not be compared later.
            // Named as a run among several ("run.pairs.qrels" beside "run.bm25.run"), whatever the count of rankers.
            var qrelsPath = Path.ChangeExtension(RunPath(a.RunOut, "pairs", 2), ".qrels");
            try
            {
                TrecFiles.WriteQrels(judgments, qrelsPath);
                err.MarkupLineInterpolated($"[grey]qrels of the pairs: {qrelsPath} (compare RUN_A RUN_B --qrels {qrelsPath})[/]");
            }
            catch (ArgumentException e) { err.MarkupLineInterpolated($"[yellow]qrels of the pairs: not written to {qrelsPath}: {e.Message}[/]"); }
        }

        // fused is the saved ranker only when --models holds one; otherwise it was LambdaMART trained per fold, and
        // the table and report must not name the folder as if it had scored the queries.
        var savedRanker = a.Models is { } models ? ModelLocations.Ranker(models) : null;
        PrintTable(outcome, savedRanker);
        if (a.PerQuery) PrintPerQuery(outcome);

        var reportPath = Path.GetFullPath(a.Report);
        EvalReport.Write(outcome, reportPath, (a.Pairs is not null
            ? new EvalReportInfo(a.Pairs, a.Pairs, string.Join(", ", [a.Pairs, .. a.PairsCatalog]))
            : new EvalReportInfo(a.Queries!, a.Qrels!, a.Index ?? string.Join(", ", a.Catalog))) with { SavedRanker = savedRanker });
        err.MarkupLineInterpolated($"[grey]report: {reportPath}[/]");

        if (a.Json)
            foreach (var r in outcome.Rankers) Console.WriteLine(ToJson(r, outcome.QueryIds.Count));
        return 0;
    }

    // The index of the arguments-only context: nothing is read from it.
    private sealed class NoIndex : IProductRecall
    {
        public static readonly NoIndex Instance = new();
        public int Count => 0;
        public IReadOnlyList<RecallCandidate> Recall(RecallRequest request) => [];
        public Product? GetProduct(string productId) => null;
        public IReadOnlyList<(string ProductId, float Score)> MoreLikeThis(string productId, int k) => [];
    }

    /// <summary>
    /// A note naming the relevant judgments of the evaluated queries whose documents are not in the catalog (no ranker
    /// can find them, so they cap recall), or null when there is none.
    /// </summary>
    internal static string? UnfindableJudgments(IReadOnlyList<EvalQuery> queries, Qrels judgments, IReadOnlyList<Product> products)
    {
        var ids = products.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        int relevant = 0, missing = 0, queriesHit = 0;
        string? first = null;
        foreach (var q in queries)
        {
            var before = missing;
            foreach (var (doc, grade) in judgments.For(q.Id))
            {
                if (grade <= 0) continue;
                relevant++;
                if (ids.Contains(doc)) continue;
                missing++;
                first ??= $"'{doc}' of query '{q.Id}'";
            }
            if (missing > before) queriesHit++;
        }
        return missing == 0 ? null
            : $"note: {missing} of the {relevant} relevant judgments of the evaluated queries ({queriesHit} {(queriesHit == 1 ? "query" : "queries")}) name a document the catalog lacks (first: {first}); no ranker can find them, so they cap recall";
    }

    private static ProductIndex OpenOrBuild(Args a, IAnsiConsole err, out IReadOnlyList<Product> products)
    {
        if (a.Index is not null)
        {
            var opened = ProductIndex.Open(a.Index);
            products = a.Catalog.Length > 0 ? ReadCatalog(a.Catalog, err) : [.. opened.Products()];
            return opened;
        }
        return BuildInMemory(ReadCatalog(a.Catalog, err), err, out products);
    }

    private static ProductIndex BuildInMemory(IReadOnlyList<Product> list, IAnsiConsole err, out IReadOnlyList<Product> products)
    {
        products = list;
        ProductIndex built = null!;
        err.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("index", maxValue: Math.Max(1, list.Count));
                built = ProductIndex.Build(list, new IndexOptions(), null, new SyncProgress<long>(n => task.Value = n));
                task.Value = list.Count;
            });
        return built;
    }

    // Graded pairs (QBQTC): one product per distinct title, one query per distinct query text with a relevant title,
    // the labels as grades; the same grouping train-ranker --ood-train learns from.
    private static (IReadOnlyList<EvalQuery> Queries, Qrels Judgments, IReadOnlyList<Product> Titles) ReadPairs(string file, string[] catalogFiles, IAnsiConsole err)
    {
        var pairs = JudgmentFiles.ReadGradedPairs(file);
        var groups = GradedPairGroups.Build(pairs, catalogFiles.SelectMany(JudgmentFiles.ReadGradedPairs), int.MaxValue, prefix: "");
        var queries = new List<EvalQuery>(groups.Queries.Count);
        var judgments = new Qrels();
        foreach (var q in groups.Queries)
        {
            queries.Add(new EvalQuery(q.QueryId, q.Text));
            foreach (var (title, grade) in groups.Qrels[q.QueryId]) judgments.Set(q.QueryId, title, grade);
        }
        err.MarkupLineInterpolated($"[grey]pairs: {pairs.Count:N0} in {file}; {groups.Catalog.Count:N0} titles, {queries.Count:N0} queries with a title graded 1 or more[/]");
        return (queries, judgments, groups.Catalog);
    }

    private static List<Product> ReadCatalog(string[] files, IAnsiConsole err)
    {
        return CatalogFiles.Read(files, m => err.MarkupLineInterpolated($"[grey]{m}[/]")).Products;
    }

    internal static string RunPath(string? runOut, string ranker, int rankers)
    {
        var safe = string.Concat(ranker.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        if (runOut is null) return Path.Combine("out", "runs", safe + ".run");
        if (rankers == 1) return runOut;
        var ext = Path.GetExtension(runOut);
        return Path.Combine(Path.GetDirectoryName(runOut) ?? "", Path.GetFileNameWithoutExtension(runOut) + "." + safe + ext);
    }

    private static void PrintTable(EvalOutcome outcome, string? savedRanker)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"{outcome.QueryIds.Count} queries" + (outcome.FoldSeeds.Count > 1 ? $"; trained rankers: mean of {outcome.FoldSeeds.Count} cross-validations" : "")
                + (savedRanker is not null && outcome.Rankers.Any(r => r.Name == "fused") ? "; fused: the saved ranker, the same at every fold" : "") + (outcome.Rankers.Count > 1 ? $"; p = paired randomization test vs {Markup.Escape(outcome.Rankers[0].Name)}" : ""));
        table.AddColumn("ranker");
        foreach (var m in RunMetrics.Names) table.AddColumn(new TableColumn(m).RightAligned());
        var seeded = outcome.FoldSeeds.Count > 1;
        if (seeded) table.AddColumn(new TableColumn($"ndcg@10 at seeds {string.Join(" / ", outcome.FoldSeeds)}").RightAligned());
        foreach (var r in outcome.Rankers)
        {
            var cells = new List<string> { Markup.Escape(r.Name) };
            foreach (var m in RunMetrics.Names)
            {
                var (lo, hi) = r.Ci95[m];
                var cell = $"{r.Metrics.Mean(m):F4} [grey][[{lo:F3}, {hi:F3}]][/]";
                if (r.PValueVsFirst.TryGetValue(m, out var p))
                    cell += p < 0.05 ? $" [green]p={p:F4}[/]" : $" [grey]p={p:F4}[/]";
                cells.Add(cell);
            }
            if (seeded)
                cells.Add(r.BySeed.Count == 0 ? "[grey](no training)[/]" : string.Join(" / ", r.BySeed.Select(s => s.Metrics.Mean("ndcg@10").ToString("F4", CultureInfo.InvariantCulture))));
            table.AddRow(cells.ToArray());
        }
        Consoles.Out().Write(table);
    }

    private static void PrintPerQuery(EvalOutcome outcome)
    {
        Console.WriteLine("qid\tranker\t" + string.Join('\t', RunMetrics.Names));
        for (var i = 0; i < outcome.QueryIds.Count; i++)
            foreach (var r in outcome.Rankers)
                Console.WriteLine($"{outcome.QueryIds[i]}\t{r.Name}\t" + string.Join('\t', RunMetrics.Names.Select(m => r.Metrics.PerQuery(m)[i].ToString("F4", CultureInfo.InvariantCulture))));
    }

    internal static string ToJson(RankerResult r, int queries)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("ranker", r.Name);
            w.WriteNumber("queries", queries);
            w.WriteStartObject("metrics");
            foreach (var m in RunMetrics.Names) w.WriteNumber(m, Math.Round(r.Metrics.Mean(m), 6));
            w.WriteEndObject();
            w.WriteStartObject("ci95");
            foreach (var m in RunMetrics.Names)
            {
                w.WriteStartArray(m);
                w.WriteNumberValue(Math.Round(r.Ci95[m].Low, 6));
                w.WriteNumberValue(Math.Round(r.Ci95[m].High, 6));
                w.WriteEndArray();
            }
            w.WriteEndObject();
            if (r.PValueVsFirst.Count > 0)
            {
                w.WriteStartObject("p_vs_first");
                foreach (var (m, p) in r.PValueVsFirst) w.WriteNumber(m, Math.Round(p, 6));
                w.WriteEndObject();
            }
            if (r.BySeed.Count > 0)
            {
                w.WriteStartObject("by_seed");
                foreach (var (s, m) in r.BySeed)
                {
                    w.WriteStartObject(s.ToString(CultureInfo.InvariantCulture));
                    foreach (var name in RunMetrics.Names) w.WriteNumber(name, Math.Round(m.Mean(name), 6));
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteNumber("seconds", Math.Round(r.Elapsed.TotalSeconds, 3));
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
