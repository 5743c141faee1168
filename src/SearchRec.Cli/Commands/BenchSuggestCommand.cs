using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SearchRec.Index;
using SearchRec.Text;

namespace SearchRec.Cli.Commands;

/// <summary>
/// <c>searchrec bench suggest</c>: builds the search bar's completions as <c>serve</c> does (an index's catalog and a
/// query log) and times single calls for what shoppers type: the first characters of log queries, and their
/// pinyin, whole or as initials. For the pinyin it also says how often the first completion is the one typing the
/// spelled characters themselves gives (the spelling was read as meant), and what the log's own all-Latin queries
/// complete to.
/// </summary>
public sealed class BenchSuggestCommand : IBenchCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var index = new Option<string>("--index") { Description = "Index directory (searchrec index).", Required = true };
        var log = new Option<string?>("--log") { Description = "Query log (one query per line, or qid<TAB>query) to complete to and to type from; default: the catalog's phrases alone, typed from its titles." };
        var typed = new Option<int>("--typed") { Description = "Texts typed per kind.", DefaultValueFactory = _ => 5000 };
        var cmd = new Command("suggest", "Search-bar completion speed and pinyin reading, over an index and a query log.");
        cmd.Options.Add(index); cmd.Options.Add(log); cmd.Options.Add(typed);
        cmd.SetAction(pr =>
        {
            try { return Run(pr.GetValue(index)!, pr.GetValue(log), Math.Max(100, pr.GetValue(typed))); }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
            {
                Console.Error.WriteLine($"bench suggest: {CliErrors.Message(e)}");
                return 2;
            }
        });
        return cmd;
    }

    private static int Run(string indexPath, string? logPath, int perKind)
    {
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        using var index = ProductIndex.Open(indexPath);
        var products = index.Products().ToList();
        var log = logPath is null ? null : QuerySuggester.ReadLog(logPath);
        var watch = Stopwatch.StartNew();
        var suggester = QuerySuggester.Build(products, index, log);
        Console.WriteLine($"built {suggester.Count:N0} completions from {products.Count:N0} products and {log?.Count ?? 0:N0} log queries in {watch.Elapsed.TotalSeconds:F2} s");

        var sources = (log ?? products.Select(p => p.Title).ToList()).Select(QueryTextComparer.Key).Where(k => k.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        var rng = new Random(1);
        var chinese = new List<string>();
        var whole = new List<(string Typed, string Spelled)>();
        var initials = new List<(string Typed, string Spelled)>();
        foreach (var key in sources.OrderBy(_ => rng.Next()))
        {
            if (chinese.Count < perKind && !Pinyin.ReadingsOf(key[0]).IsEmpty) chinese.Add(key[..Math.Min(key.Length, 1 + rng.Next(3))]);
            var han = 0;
            while (han < Math.Min(key.Length, 4) && !Pinyin.ReadingsOf(key[han]).IsEmpty) han++;
            if (han < 2) continue;
            // The first reading of each character, as a shopper would spell it; cut inside the last one at random.
            var n = 2 + rng.Next(han - 1);
            var readings = Enumerable.Range(0, n).Select(i => Pinyin.ReadingsOf(key[i])[0]).ToArray();
            var spelled = key[..n];
            if (whole.Count < perKind) whole.Add((string.Concat(readings[..^1]) + readings[^1][..(1 + rng.Next(readings[^1].Length))], spelled));
            if (initials.Count < perKind) initials.Add((string.Concat(readings.Select(r => r[0])), spelled));
            if (chinese.Count == perKind && whole.Count == perKind && initials.Count == perKind) break;
        }
        Time("Chinese, first 1-3 characters of a log query", chinese, suggester);
        Time("pinyin typed whole (first 2-4 characters, the last cut anywhere)", [.. whole.Select(w => w.Typed)], suggester);
        Time("pinyin initials (first 2-4 characters)", [.. initials.Select(w => w.Typed)], suggester);
        Read("pinyin typed whole", whole, suggester);
        Read("pinyin initials", initials, suggester);

        if (log is not null) DidYouMean(log, suggester, perKind, rng);

        var latin = log?.Where(q => q.Length > 0 && q.All(c => char.IsAsciiLetter(c) || c == ' ')).Distinct(QueryTextComparer.Instance).ToList() ?? [];
        if (latin.Count > 0)
        {
            var completed = latin.Select(q => (Query: q, First: suggester.Suggest(q, 1) is [var s, ..] ? s.Text : null)).ToList();
            var chineseCompletions = completed.Where(c => c.First is { } f && f.Any(ch => !Pinyin.ReadingsOf(ch).IsEmpty)).ToList();
            Console.WriteLine($"the log's {latin.Count:N0} all-Latin queries: {completed.Count(c => c.First is not null):N0} complete to something, {chineseCompletions.Count:N0} first to Chinese text through pinyin; examples:");
            foreach (var (q, f) in chineseCompletions.OrderBy(_ => rng.Next()).Take(12)) Console.WriteLine($"  {q} -> {f}");
        }
        Console.WriteLine("figures are single-threaded call latencies on this machine; under contention they are preliminary.");
        return 0;
    }

    // Homophone typos made from the log's own completions (one character swapped for a common one read alike), and
    // how often a real log query gets a correction it did not ask for.
    private static void DidYouMean(IReadOnlyList<string> log, QuerySuggester suggester, int perKind, Random rng)
    {
        var common = log.SelectMany(q => q).Where(c => !Pinyin.ReadingsOf(c).IsEmpty).GroupBy(c => c).Where(g => g.Count() >= 20).Select(g => g.Key).ToArray();
        var byReading = common.SelectMany(c => Pinyin.ReadingsOf(c).ToArray().Select(r => (r, c))).GroupBy(x => x.r).ToDictionary(g => g.Key, g => g.Select(x => x.c).ToArray());
        var queries = log.Distinct(QueryTextComparer.Instance).OrderBy(_ => rng.Next()).ToList();
        int made = 0, recovered = 0, other = 0, none = 0, typoIsQuery = 0;
        var examples = new List<string>();
        foreach (var q in queries)
        {
            if (made == perKind) break;
            var key = QueryTextComparer.Key(q);
            if (key.Length < 2 || suggester.Suggest(q, 1) is not [var own, ..] || QueryTextComparer.Key(own.Text) != key ) continue;
            var positions = Enumerable.Range(0, key.Length).Where(i => !Pinyin.ReadingsOf(key[i]).IsEmpty).ToArray();
            if (positions.Length == 0 || Pinyin.ReadingsOf(key[0]).IsEmpty) continue;
            var at = positions[rng.Next(positions.Length)];
            var alike = Pinyin.ReadingsOf(key[at]).ToArray().SelectMany(r => byReading.GetValueOrDefault(r, [])).Where(c => c != key[at]).Distinct().ToArray();
            if (alike.Length == 0) continue;
            var typo = key[..at] + alike[rng.Next(alike.Length)] + key[(at + 1)..];
            made++;
            if (suggester.Suggest(typo, 1) is [var t, ..] && QueryTextComparer.Key(t.Text) == typo) { typoIsQuery++; continue; }
            var fix = suggester.DidYouMean(typo);
            if (fix is null) none++;
            else if (fix == own.Text) recovered++;
            else { other++; if (examples.Count < 6) examples.Add($"{typo} -> {fix} (meant {own.Text})"); }
        }
        if (made == 0) Console.WriteLine("did-you-mean, 0 homophone typos of log queries the index answers: the log's common characters read like none of its queries' characters");
        else
            Console.WriteLine($"did-you-mean, {made:N0} homophone typos of log queries the index answers: {100.0 * recovered / made:F1} % corrected to the query, {100.0 * other / made:F1} % to another, {100.0 * none / made:F1} % not corrected, {100.0 * typoIsQuery / made:F1} % were queries themselves{(examples.Count > 0 ? "; e.g. " + string.Join("; ", examples) : "")}");
        var sample = queries.Take(perKind).ToList();
        var fired = sample.Select(q => (q, Fix: suggester.DidYouMean(q))).Where(x => x.Fix is not null).ToList();
        var notCompletions = sample.Count(q => !(suggester.Suggest(q, 1) is [var s, ..] && QueryTextComparer.Key(s.Text) == QueryTextComparer.Key(q)));
        Console.WriteLine($"did-you-mean on {sample.Count:N0} log queries as typed ({notCompletions:N0} of them no completion, so open to one): offered for {fired.Count:N0}{(fired.Count > 0 ? "; e.g. " + string.Join("; ", fired.Take(10).Select(x => $"{x.q} -> {x.Fix}")) : "")}");
        Time("did-you-mean, one call (log queries as typed)", sample, q => suggester.DidYouMean(q));
    }

    private static void Time(string name, IReadOnlyList<string> typed, QuerySuggester suggester) =>
        Time(name + " (k 8)", typed, t => suggester.Suggest(t, 8));

    private static void Time(string name, IReadOnlyList<string> typed, Action<string> call)
    {
        if (typed.Count == 0) return;
        foreach (var t in typed.Take(200)) call(t);
        var times = new double[typed.Count];
        for (var i = 0; i < typed.Count; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            call(typed[i]);
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(times);
        string P(double q) => times[Math.Min(times.Length - 1, (int)(q * times.Length))].ToString("F3", CultureInfo.InvariantCulture);
        Console.WriteLine($"{name}: p50 {P(0.50)} ms  p90 {P(0.90)} ms  p99 {P(0.99)} ms  max {P(1)} ms  ({times.Length:N0} texts; the first 200 also called once before)");
    }

    // How often pinyin completes as typing the spelled characters does: the same first completion, or it among the 8.
    private static void Read(string name, IReadOnlyList<(string Typed, string Spelled)> typed, QuerySuggester suggester)
    {
        int counted = 0, first = 0, any = 0;
        foreach (var (t, spelled) in typed)
        {
            var meant = suggester.Suggest(spelled, 1);
            if (meant.Count == 0) continue;
            counted++;
            var found = suggester.Suggest(t, 8);
            if (found.Count > 0 && found[0].Text == meant[0].Text) first++;
            if (found.Any(s => s.Text == meant[0].Text)) any++;
        }
        if (counted == 0) return;
        Console.WriteLine($"{name}: the first completion is the one the spelled characters give for {100.0 * first / counted:F1} % of {counted:N0} texts that have one, among the 8 for {100.0 * any / counted:F1} %");
    }
}
