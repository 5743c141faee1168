using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using SearchRec.Text;

namespace SearchRec.Cli.Commands;

/// <summary>
/// <c>searchrec bench analyzer</c>: single-thread throughput (MB/s of UTF-8 title text, tokens/s) of the
/// <c>searchrec</c> and <c>cjk-bigram</c> analyzers over product titles, and the dictionary load time.
/// </summary>
public sealed class BenchAnalyzerCommand : IBenchCommand
{
    private const string DefaultTitles = "../shared/data/ecom-search/corpus.tsv";

    /// <inheritdoc />
    public Command Build()
    {
        var titles = new Option<FileInfo?>("--titles")
        {
            Description = $"Titles: one per line, or TSV whose last column is the title (default {DefaultTitles}).",
        };
        var seconds = new Option<double>("--seconds") { Description = "Seconds measured per analyzer.", DefaultValueFactory = _ => 5 };
        var analyzers = new Option<string[]>("--analyzer")
        {
            Description = "Analyzer names to measure (repeatable).",
            DefaultValueFactory = _ => ["searchrec", "cjk-bigram"],
            AllowMultipleArgumentsPerToken = true,
        };
        var cmd = new Command("analyzer", "Measure analyzer throughput (MB/s, tokens/s, one thread) and dictionary load time.");
        cmd.Options.Add(titles);
        cmd.Options.Add(seconds);
        cmd.Options.Add(analyzers);
        cmd.SetAction(pr => Run(pr.GetValue(titles), pr.GetValue(seconds), pr.GetValue(analyzers) ?? []));
        return cmd;
    }

    private static int Run(FileInfo? titlesFile, double seconds, string[] names)
    {
        string path = titlesFile?.FullName ?? DefaultTitles;
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"bench analyzer: --titles: {path}: file not found.");
            return 2;
        }
        // NaN passed "<= 0" and measured nothing (NaN rates); infinity never ended.
        if (!(seconds > 0) || double.IsInfinity(seconds))
        {
            Console.Error.WriteLine($"bench analyzer: --seconds must be a positive finite number (was {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}).");
            return 2;
        }
        // Every name is checked before any is measured: an unknown last name was refused only after the others' runs.
        var analyzerList = new List<Analyzer>();
        foreach (string name in names)
        {
            try
            {
                analyzerList.Add(AnalyzerRegistry.Default.Create(name));
            }
            catch (ArgumentException e)
            {
                foreach (var a in analyzerList) a.Dispose();
                Console.Error.WriteLine($"bench analyzer: --analyzer: {CliErrors.Message(e)}");
                return 2;
            }
        }
        var list = new List<string>();
        foreach (string line in File.ReadLines(path))
        {
            int tab = line.LastIndexOf('\t');
            string title = tab >= 0 ? line[(tab + 1)..] : line;
            if (title.Length > 0) list.Add(title);
        }
        if (list.Count == 0)
        {
            foreach (var a in analyzerList) a.Dispose();
            Console.Error.WriteLine($"bench analyzer: --titles: no titles in {path}.");
            return 2;
        }
        string[] titles = list.ToArray();
        long bytes = 0;
        foreach (string t in titles) bytes += Encoding.UTF8.GetByteCount(t);

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        Console.WriteLine($"titles: {titles.Length:N0} from {path} ({bytes / 1e6:F2} MB UTF-8, {bytes / (double)titles.Length:F1} bytes/title)");

        var sw = Stopwatch.StartNew();
        var fresh = new ChineseSegmenter();
        Console.WriteLine($"dictionary load (first, incl. resource decompression): {sw.Elapsed.TotalMilliseconds:F0} ms");
        sw.Restart();
        fresh = new ChineseSegmenter();
        Console.WriteLine($"dictionary load (second segmenter, tables only):        {sw.Elapsed.TotalMilliseconds:F0} ms");
        GC.KeepAlive(fresh);

        // Rates per CPU-second of this process as well as per wall second: on a shared machine the wall rate
        // mostly measures the other jobs.
        Console.WriteLine($"{"analyzer",-20} {"MB/s",8} {"MB/cpu-s",9} {"titles/s",10} {"tokens/s",12} {"tokens/cpu-s",13} {"tokens/title",12}");
        for (int n = 0; n < names.Length; n++)
        {
            string name = names[n];
            using (Analyzer analyzer = analyzerList[n])
            {
                Console.Error.WriteLine($"measuring {name} for {seconds:0.##} s ...");
                Consume(analyzer, titles, Math.Min(titles.Length, 2000)); // warm-up (JIT, pools)
                long tokens = 0, done = 0, doneBytes = 0;
                var process = Process.GetCurrentProcess();
                TimeSpan cpu0 = process.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed.TotalSeconds < seconds)
                {
                    tokens += Consume(analyzer, titles, titles.Length);
                    done += titles.Length;
                    doneBytes += bytes;
                }
                double s = clock.Elapsed.TotalSeconds;
                process.Refresh();
                double cpu = Math.Max((process.TotalProcessorTime - cpu0).TotalSeconds, 1e-6);
                Console.WriteLine($"{name,-20} {doneBytes / 1e6 / s,8:F2} {doneBytes / 1e6 / cpu,9:F2} {done / s,10:N0} {tokens / s,12:N0} {tokens / cpu,13:N0} {tokens / (double)done,12:F2}");
            }
        }
        return 0;
    }

    private static long Consume(Analyzer analyzer, string[] titles, int count)
    {
        long tokens = 0;
        for (int i = 0; i < count; i++)
        {
            using TokenStream ts = analyzer.GetTokenStream("title", titles[i]);
            var term = ts.AddAttribute<ICharTermAttribute>();
            ts.Reset();
            while (ts.IncrementToken()) tokens += term.Length > 0 ? 1 : 0;
            ts.End();
        }
        return tokens;
    }
}
