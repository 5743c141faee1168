using System.CommandLine;
using System.Globalization;
using SearchRec.Core.Judgments;
using SearchRec.Deep;
using SearchRec.Deep.Scoring;

namespace SearchRec.Cli.Commands;

/// <summary>
/// <c>searchrec hubness</c>: computes a text tower's CSLS hubness correction (r(item) = the mean of the item's k
/// highest cosines over the first <c>--count</c> distinct queries of a query log) and stores it beside the tower,
/// where every later use of the folder (eval, ranking features, search, serve) applies cos − factor · r(item).
/// <c>--remove</c> deletes it.
/// </summary>
public sealed class HubnessCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var models = new Option<string>("--models") { Description = "Text tower folder written by train-deep (not an ensemble folder: run it on each member).", Required = true };
        var queries = new Option<string?>("--queries") { Description = "Queries, TSV id<TAB>text (like query-log.tsv); the first --count distinct texts in file order are used." };
        var exclude = new Option<string?>("--exclude-queries") { Description = "Queries (id<TAB>text) whose texts are never used, e.g. the evaluation queries." };
        var count = new Option<int>("--count") { Description = "Distinct query texts to use.", DefaultValueFactory = _ => 20_000 };
        var k = new Option<int>("--k") { Description = "r(item) is the mean of the item's k highest cosines over the queries.", DefaultValueFactory = _ => 10 };
        var factor = new Option<double>("--factor") { Description = "Corrected score = cosine − factor · r(item).", DefaultValueFactory = _ => 0.5 };
        var remove = new Option<bool>("--remove") { Description = $"Delete the folder's correction ({HubnessCorrection.FileName}, {HubnessCorrection.InfoFileName}) instead." };
        var cmd = new Command("hubness", "Compute (or --remove) a text tower's CSLS hubness correction: score = cos(q, item) − factor · r(item).");
        foreach (var o in new Option[] { models, queries, exclude, count, k, factor, remove }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            try
            {
                var dir = pr.GetValue(models)!;
                if (pr.GetValue(remove)) return Remove(dir);
                return Run(dir, pr.GetValue(queries), pr.GetValue(exclude), pr.GetValue(count), pr.GetValue(k), pr.GetValue(factor));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or FormatException)
            {
                Console.Error.WriteLine($"hubness: {CliErrors.Message(e)}");
                return 2;
            }
        });
        return cmd;
    }

    private static int Remove(string dir)
    {
        CheckModels(dir);
        Console.WriteLine(HubnessCorrection.Remove(dir)
            ? $"hubness: removed the correction from {dir}; its scores are plain cosines again."
            : $"hubness: {dir} has no correction ({HubnessCorrection.FileName}); nothing to remove.");
        return 0;
    }

    private static int Run(string dir, string? queryFile, string? excludeFile, int count, int k, double factor)
    {
        if (k < 1) throw new ArgumentException($"--k must be at least 1 (got {k}).");
        if (count < k) throw new ArgumentException($"--count must be at least --k ({k}); got {count}.");
        if (!double.IsFinite(factor) || factor < 0) throw new ArgumentException($"--factor must be a finite number ≥ 0 (got {factor.ToString(CultureInfo.InvariantCulture)}).");
        if (queryFile is null) throw new ArgumentException("--queries is required (or --remove).");
        if (!File.Exists(queryFile)) throw new ArgumentException($"--queries: '{queryFile}' does not exist.");
        if (excludeFile is not null && !File.Exists(excludeFile)) throw new ArgumentException($"--exclude-queries: '{excludeFile}' does not exist.");
        CheckModels(dir);
        var excluded = excludeFile is null ? null : JudgmentReader.ReadQueries(excludeFile).Select(q => q.Text).ToList();
        var texts = HubnessCorrection.SelectQueries(JudgmentReader.ReadQueries(queryFile).Select(q => q.Text), count, excluded, out var dropped);
        if (texts.Count < k) throw new ArgumentException($"--queries: '{queryFile}' has {texts.Count:N0} usable distinct texts, fewer than --k {k}.");
        if (texts.Count < count) Console.Error.WriteLine($"hubness: '{queryFile}' has only {texts.Count:N0} usable distinct texts (asked for {count:N0}); using them all.");
        Console.Error.WriteLine($"hubness: {texts.Count:N0} distinct queries from {queryFile}" + (excluded is null ? "" : $" ({dropped:N0} equal to one in {excludeFile} skipped)") + $"; k {k}, factor {factor.ToString("0.###", CultureInfo.InvariantCulture)}");
        var provenance = new Dictionary<string, string>
        {
            ["queriesFile"] = Path.GetFullPath(queryFile),
            ["excludeQueriesFile"] = excludeFile is null ? "" : Path.GetFullPath(excludeFile),
            ["excludedDropped"] = dropped.ToString(CultureInfo.InvariantCulture),
        };
        var s = HubnessCorrection.Compute(dir, texts, new HubnessOptions { K = k, Factor = (float)factor }, Console.Error.WriteLine, provenance: provenance);
        Console.WriteLine($"hubness: wrote {Path.Combine(dir, HubnessCorrection.FileName)}: {s.ItemCount:N0} items, k {s.K}, {s.QueryCount:N0} queries, factor {s.Factor.ToString("0.###", CultureInfo.InvariantCulture)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hubness: r(item) min {s.R.Min:F4}, mean {s.R.Mean:F4}, max {s.R.Max:F4}; encoding {s.EncodeSeconds:F1} s, total {s.TotalSeconds:F1} s"));
        return 0;
    }

    private static void CheckModels(string dir)
    {
        if (DenseModels.IsEnsemble(dir)) throw new ArgumentException($"--models: '{dir}' is an ensemble ({DenseModels.EnsembleFile}); run hubness on each member folder.");
        if (!File.Exists(Path.Combine(dir, DeepModelManifest.FileName))) throw new ArgumentException($"--models: '{dir}' has no {DeepModelManifest.FileName}; train a tower with `searchrec train-deep` first.");
    }
}
