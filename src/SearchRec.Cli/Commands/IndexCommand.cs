using System.CommandLine;
using System.Diagnostics;
using SearchRec.Core;
using SearchRec.Core.Catalog;
using SearchRec.Index;

namespace SearchRec.Cli.Commands;

/// <summary><c>searchrec index</c>: imports catalog files and builds the Lucene product index on disk.</summary>
public sealed class IndexCommand : ICliCommand
{
    private const int MaxProblemsShown = 50;

    /// <inheritdoc />
    public Command Build()
    {
        var catalog = new Option<string[]>("--catalog")
        {
            Description = "Catalog files (TSV id<TAB>title, or JSON Lines); several may be given.",
            AllowMultipleArgumentsPerToken = true,
        };
        var events = new Option<string[]>("--events")
        {
            Description = "Instead of --catalog, for a shop with behaviour logs but no product records (Taobao UserBehavior): one product per item of these event CSVs (or a service's events.db), titled by its id and filed under its category id, so that the service can serve recommendations and similar items.",
            AllowMultipleArgumentsPerToken = true,
        };
        var index = new Option<string>("--index") { Description = "Index directory (replaced).", DefaultValueFactory = _ => "index-data/default" };
        var analyzer = new Option<string?>("--analyzer") { Description = "Title analyzer name (default: searchrec)." };
        var userDict = new Option<string?>("--user-dict") { Description = "User dictionary for the title analyzer." };
        var synonyms = new Option<string?>("--synonyms") { Description = "Synonyms file for the title analyzer." };
        var update = new Option<bool>("--update") { Description = "Change the index at --index instead of replacing it: each --catalog product replaces the product with its id or is added; the ids in --delete are removed. One commit: a service reading the index picks the change up at its next reload." };
        var delete = new Option<string[]>("--delete") { Description = "With --update: files of product ids to remove, one per line.", AllowMultipleArgumentsPerToken = true };
        var merge = new Option<bool>("--merge") { Description = "With --update: merge the index into one segment afterwards, so that BM25's statistics no longer count replaced or removed products (scores then equal a fresh build's)." };
        var cmd = new Command("index", "Import catalog files and build the product index, or change one (--update).");
        cmd.Options.Add(catalog);
        cmd.Options.Add(events);
        cmd.Options.Add(index);
        cmd.Options.Add(analyzer);
        cmd.Options.Add(userDict);
        cmd.Options.Add(synonyms);
        cmd.Options.Add(update);
        cmd.Options.Add(delete);
        cmd.Options.Add(merge);
        cmd.SetAction(pr =>
        {
            string[] files = pr.GetValue(catalog) ?? [], deletes = pr.GetValue(delete) ?? [];
            if (pr.GetValue(update))
            {
                // The index keeps the analysis it was built with: other settings would make its terms unreachable.
                foreach (var (flag, given) in new[] { ("--events", (pr.GetValue(events) ?? []).Length > 0), ("--analyzer", pr.GetValue(analyzer) is not null), ("--user-dict", pr.GetValue(userDict) is not null), ("--synonyms", pr.GetValue(synonyms) is not null) })
                    if (given)
                    {
                        Console.Error.WriteLine($"index: {flag} does not go with --update (an update keeps the index's own analysis settings; build the index again to change them)");
                        return 2;
                    }
                return RunUpdate(files, deletes, pr.GetValue(index)!, pr.GetValue(merge));
            }
            foreach (var (flag, given) in new[] { ("--delete", deletes.Length > 0), ("--merge", pr.GetValue(merge)) })
                if (given)
                {
                    Console.Error.WriteLine($"index: {flag} goes only with --update");
                    return 2;
                }
            return Run(files, pr.GetValue(events) ?? [], pr.GetValue(index)!, pr.GetValue(analyzer), pr.GetValue(userDict), pr.GetValue(synonyms));
        });
        return cmd;
    }

    private static int RunUpdate(string[] files, string[] deleteFiles, string indexDir, bool merge)
    {
        if (files.Length == 0 && deleteFiles.Length == 0)
        {
            Console.Error.WriteLine("index: --update needs --catalog FILE (products to add or replace) or --delete FILE (ids to remove)");
            return 2;
        }
        foreach (var (flag, f) in files.Select(f => ("--catalog", f)).Concat(deleteFiles.Select(f => ("--delete", f))))
            if (!File.Exists(f))
            {
                Console.Error.WriteLine($"index: {flag} {f}: file not found");
                return 2;
            }
        if (!Directory.Exists(indexDir))
        {
            Console.Error.WriteLine($"index: --index {indexDir}: no index to update (build one first: searchrec index --catalog FILE --index {indexDir})");
            return 2;
        }
        var sw = Stopwatch.StartNew();
        var upserts = new List<Product>();
        if (files.Length > 0)
        {
            var import = CatalogReader.ReadFiles(files);
            ReportProblems(import);
            if (import.Products.Count == 0)
            {
                Console.Error.WriteLine($"index: no product could be read from {string.Join(", ", files)} ({import.Summary}); the index was not changed");
                return 2;
            }
            upserts = import.Products;
            Console.Error.WriteLine($"imported: {import.Summary}");
        }
        // Where each id to remove came from, so that a repeated id or one also upserted is named by its file and line
        // (ProductIndex.Update refuses both too, but knows no files: 'deletes: id '3' is given twice').
        var deletes = new List<string>();
        var deletedAt = new Dictionary<string, string>(StringComparer.Ordinal);
        var upserted = upserts.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var file in deleteFiles)
        {
            try
            {
                long lineNo = 0;
                foreach (var line in TextFiles.ReadLines(file))
                {
                    lineNo++;
                    if (line.Trim() is not { Length: > 0 } id) continue;
                    var at = $"{file}:{lineNo}";
                    if (deletedAt.TryGetValue(id, out var first))
                    {
                        Console.Error.WriteLine($"index: --delete {at}: id '{id}' is given twice (first at {first}); the index was not changed");
                        return 2;
                    }
                    if (upserted.Contains(id))
                    {
                        Console.Error.WriteLine($"index: --delete {at}: product '{id}' is also in --catalog: it cannot be both upserted and deleted; the index was not changed");
                        return 2;
                    }
                    deletedAt[id] = at;
                    deletes.Add(id);
                }
            }
            catch (InvalidDataException e)
            {
                Console.Error.WriteLine($"index: --delete {e.Message}; the index was not changed");
                return 2;
            }
        }
        if (upserts.Count == 0 && deletes.Count == 0 && !merge)
        {
            Console.Error.WriteLine($"index: no id in {string.Join(", ", deleteFiles)} (one product id per line); the index was not changed");
            return 2;
        }
        try
        {
            var change = ProductIndex.Update(indexDir, upserts, deletes, merge);
            Console.WriteLine($"update: added {change.Added:N0}, replaced {change.Replaced:N0}, removed {change.Deleted:N0} products; the index holds {change.Count:N0} ({sw.Elapsed.TotalSeconds:F1} s{(merge ? ", merged" : "")})");
            if (change.NotFound.Count > 0)
                Console.Error.WriteLine($"update: {change.NotFound.Count:N0} ids to remove were not in the index: {string.Join(", ", change.NotFound.Take(10))}{(change.NotFound.Count > 10 ? ", ..." : "")}");
            Console.WriteLine($"index: {Path.GetFullPath(indexDir)}; a running service picks the change up at POST /admin/reload");
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"index: {CliErrors.Message(e)}; the index was not changed");
            return 2;
        }
    }

    private static void ReportProblems(CatalogImport import)
    {
        for (var i = 0; i < import.Problems.Count && i < MaxProblemsShown; i++)
            Console.Error.WriteLine(import.Problems[i].ToString());
        if (import.Problems.Count > MaxProblemsShown)
            Console.Error.WriteLine($"... and {import.Problems.Count - MaxProblemsShown:N0} more rejected lines");
    }

    private static int Run(string[] files, string[] eventFiles, string indexDir, string? analyzer, string? userDict, string? synonyms)
    {
        if ((files.Length == 0) == (eventFiles.Length == 0))
        {
            Console.Error.WriteLine("index: give either --catalog FILE (product records) or --events FILE (behaviour logs without records)");
            return 2;
        }
        var options = new IndexOptions { UserDictionaryPath = userDict, SynonymsPath = synonyms };
        if (analyzer is not null) options.TitleAnalyzer = analyzer;
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"index: {CliErrors.Message(e, nameof(IndexOptions), p => p switch
            {
                nameof(IndexOptions.UserDictionaryPath) => "--user-dict",
                nameof(IndexOptions.SynonymsPath) => "--synonyms",
                nameof(IndexOptions.TitleAnalyzer) => "--analyzer",
                _ => null,
            })}");
            return 2;
        }

        foreach (var (flag, f) in files.Select(f => ("--catalog", f)).Concat(eventFiles.Select(f => ("--events", f))))
            if (!File.Exists(f))
            {
                Console.Error.WriteLine($"index: {flag} {f}: file not found");
                return 2;
            }
        if (OutputFiles.FolderProblem(indexDir, "--index") is { } problem)
        {
            Console.Error.WriteLine($"index: {problem}");
            return 2;
        }
        var sw = Stopwatch.StartNew();
        if (eventFiles.Length > 0) return IndexEvents(eventFiles, indexDir, options, sw);
        var import = CatalogReader.ReadFiles(files);
        ReportProblems(import);
        if (import.NothingRead)
        {
            Console.Error.WriteLine("index: nothing could be read from " + string.Join(", ", files));
            return 2;
        }
        // An index of nothing is a wrong file or format, not a catalog: say so and leave any index there as it was.
        if (import.Products.Count == 0)
        {
            Console.Error.WriteLine($"index: no product could be read from {string.Join(", ", files)} ({import.Summary}; a catalog is TSV id<TAB>title or JSON Lines with id and title); no index was written");
            return 2;
        }
        Console.Error.WriteLine($"imported: {import.Summary} ({sw.Elapsed.TotalSeconds:F1} s)");
        sw.Restart();
        return Build(import.Products, options, indexDir, sw, n => $"read {import.LinesRead:N0} lines, indexed {n:N0} products, rejected {import.Problems.Count:N0} lines");
    }

    // The products of an event log without product records: one per item, titled by its id.
    private static int IndexEvents(string[] eventFiles, string indexDir, IndexOptions options, Stopwatch sw)
    {
        List<SearchRec.Core.Events.UserEvent> events;
        try
        {
            events = EventFiles.Read(eventFiles); // CSV logs or a service's event store; bad lines are named there
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"index: {e.Message} No index was written.");
            return 2;
        }
        if (events.Count == 0)
        {
            Console.Error.WriteLine($"index: no event in {string.Join(", ", eventFiles)}; no index was written");
            return 2;
        }
        var products = EventCatalog.Build(events);
        Console.Error.WriteLine($"imported: {events.Count:N0} events, {products.Count:N0} items ({sw.Elapsed.TotalSeconds:F1} s); each item becomes a product titled by its id in its category");
        sw.Restart();
        return Build(products, options, indexDir, sw, n => $"read {events.Count:N0} events, indexed {n:N0} items as products");
    }

    private static int Build(IReadOnlyList<Product> products, IndexOptions options, string indexDir, Stopwatch sw, Func<int, string> summary)
    {
        var total = products.Count;
        var last = Stopwatch.StartNew();
        var progress = new SyncProgress<long>(n =>
        {
            if (last.ElapsedMilliseconds < 2000 && n < total) return;
            last.Restart();
            Console.Error.WriteLine($"indexing: {n:N0} / {total:N0} products ({100.0 * n / Math.Max(1, total):F0}%)");
        });
        try
        {
            using var built = ProductIndex.Build(products, options, indexDir, progress);
            var seconds = sw.Elapsed.TotalSeconds;
            Console.WriteLine(summary(built.Count));
            Console.WriteLine($"index: {Path.GetFullPath(indexDir)} ({DirectorySize(indexDir) / 1048576.0:F1} MiB, {seconds:F1} s, {built.Count / Math.Max(seconds, 1e-9):N0} products/s)");
        }
        // FormatException: a bad line of the user dictionary or synonym file, named by file and line.
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or FormatException)
        {
            Console.Error.WriteLine($"index: {CliErrors.Message(e)}");
            return 2;
        }
        return 0;
    }

    private static long DirectorySize(string dir)
    {
        long size = 0;
        foreach (var f in new DirectoryInfo(dir).EnumerateFiles()) size += f.Length;
        return size;
    }
}
