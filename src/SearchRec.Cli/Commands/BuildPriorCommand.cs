using System.CommandLine;
using System.Diagnostics;
using SearchRec.Core.Catalog;
using SearchRec.Core.Judgments;
using SearchRec.Index;
using SearchRec.Ranking.Features;
using SearchRec.Text;

namespace SearchRec.Cli.Commands;

/// <summary>
/// <c>searchrec build-prior</c>: runs an unjudged query log through BM25 recall over the catalog and saves, per
/// product, how many log queries recall it in their top k (the <c>prior</c> feature group). Queries whose text
/// equals an evaluation query (<c>--exclude-queries</c>) are skipped.
/// </summary>
public sealed class BuildPriorCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var catalog = new Option<string[]>("--catalog") { Description = "Catalog file(s) (TSV id<TAB>title or JSON Lines), as given to train-ranker / eval.", Required = true, AllowMultipleArgumentsPerToken = true };
        var log = new Option<string>("--query-log") { Description = "Unjudged queries, qid<TAB>query.", Required = true };
        var exclude = new Option<string[]>("--exclude-queries") { Description = "Query files (qid<TAB>query) whose texts are left out of the log (evaluation queries).", AllowMultipleArgumentsPerToken = true };
        var depth = new Option<int>("--depth") { Description = "Recall depth at which a product counts as retrieved.", DefaultValueFactory = _ => 10 };
        var models = new Option<string>("--models") { Description = $"Folder to write {QueryLogPrior.FileName} into.", Required = true };
        var cmd = new Command("build-prior", "Build the query-log popularity prior (products recalled by unjudged log queries) for the ranker's prior features.");
        foreach (var o in new Option[] { catalog, log, exclude, depth, models }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            try
            {
                if (pr.GetValue(depth) < 1) throw new ArgumentException("--depth must be positive.");
                OutputFiles.CheckFolder(pr.GetValue(models)!, "--models");
                var sw = Stopwatch.StartNew();
                void Log(string m) => Console.Error.WriteLine($"[{sw.Elapsed.TotalSeconds,6:F1}s] {m}");
                var excluded = new HashSet<string>(QueryTextComparer.Instance);
                foreach (var f in pr.GetValue(exclude) ?? [])
                    foreach (var (_, text) in JudgmentReader.ReadQueries(f)) excluded.Add(text.Trim());
                var all = JudgmentReader.ReadQueries(pr.GetValue(log)!);
                var kept = all.Select(q => q.Text.Trim()).Where(t => !excluded.Contains(t)).ToList();
                Log($"query log: {all.Count:N0} queries, {all.Count - kept.Count:N0} equal to an excluded query (or its traditional / full-width / spacing twin) and skipped");
                // Checked before indexing: a prior of no query is all zeros, a feature that says nothing.
                if (kept.All(string.IsNullOrWhiteSpace))
                    throw new ArgumentException(kept.Count == all.Count ? $"--query-log {pr.GetValue(log)} holds no query: the prior would be empty." : $"--query-log {pr.GetValue(log)}: {all.Count - kept.Count:N0} of its {all.Count:N0} queries equal one of the {excluded.Count:N0} excluded queries (--exclude-queries {string.Join(", ", pr.GetValue(exclude) ?? [])}) and none other is left: the prior would be empty. Give a log of other queries.");
                var import = CatalogFiles.Read(pr.GetValue(catalog)!, Log);
                using var index = ProductIndex.Build(import.Products, new IndexOptions());
                var prior = QueryLogPrior.Build(index, kept, pr.GetValue(depth), new SyncProgress<int>(n => Log($"{n:N0} queries run")));
                Directory.CreateDirectory(pr.GetValue(models)!);
                var path = Path.Combine(pr.GetValue(models)!, QueryLogPrior.FileName);
                prior.Save(path);
                Console.WriteLine($"saved {path}: {prior.Queries:N0} queries, {prior.Products:N0} of {import.Products.Count:N0} products recalled in a top {prior.Depth} ({sw.Elapsed.TotalSeconds:F1} s)");
                return 0;
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or IOException or InvalidDataException)
            {
                Console.Error.WriteLine($"build-prior: {CliErrors.Message(ex)}");
                return 2;
            }
        });
        return cmd;
    }
}
