using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using SearchRec.Text;
using SearchRec.Text.Internals;

namespace SearchRec.Bench.Text;

/// <summary>
/// Throughput of the segmenter and the analyzers over a few thousand synthetic product titles (seeded).
/// Each invocation processes every title once; the MB/s column is UTF-8 title bytes over the mean time.
/// Run: <c>dotnet run -c Release --project bench/SearchRec.Bench -- --filter '*AnalyzerBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class AnalyzerBenchmarks
{
    private string[] _titles = [];
    private string[] _normalized = [];
    private Analyzer _searchrec = null!;
    private Analyzer _accurate = null!;
    private Analyzer _bigram = null!;
    private readonly TokenBuffer _buffer = new();

    [GlobalSetup]
    public void Setup()
    {
        _titles = SyntheticTitles.Make(4000, seed: 42);
        _normalized = _titles.Select(TextNormalizer.Normalize).ToArray();
        _searchrec = AnalyzerRegistry.Default.Create("searchrec");
        _accurate = AnalyzerRegistry.Default.Create("searchrec-accurate");
        _bigram = AnalyzerRegistry.Default.Create("cjk-bigram");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _searchrec.Dispose();
        _accurate.Dispose();
        _bigram.Dispose();
    }

    [Benchmark(Description = "segment accurate (no Lucene)")]
    public int SegmentAccurate() => Segment(SegmentMode.Accurate);

    [Benchmark(Description = "segment search (no Lucene)")]
    public int SegmentSearch() => Segment(SegmentMode.Search);

    [Benchmark(Baseline = true, Description = "analyzer cjk-bigram")]
    public long CjkBigram() => Consume(_bigram);

    [Benchmark(Description = "analyzer searchrec")]
    public long Searchrec() => Consume(_searchrec);

    [Benchmark(Description = "analyzer searchrec-accurate")]
    public long SearchrecAccurate() => Consume(_accurate);

    [Benchmark(Description = "dictionary load (new segmenter)")]
    public int DictionaryLoad() => new ChineseSegmenter().WordCount;

    private int Segment(SegmentMode mode)
    {
        int tokens = 0;
        foreach (string t in _normalized)
        {
            _buffer.Clear();
            ChineseSegmenter.Default.Segment(t, mode, _buffer);
            tokens += _buffer.Count;
        }
        return tokens;
    }

    private long Consume(Analyzer analyzer)
    {
        long tokens = 0;
        foreach (string t in _titles)
        {
            using TokenStream ts = analyzer.GetTokenStream("title", t);
            ts.Reset();
            while (ts.IncrementToken()) tokens++;
            ts.End();
        }
        return tokens;
    }

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new MegabytesPerSecondColumn());
    }

    private sealed class MegabytesPerSecondColumn : IColumn
    {
        public string Id => nameof(MegabytesPerSecondColumn);
        public string ColumnName => "MB/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "UTF-8 title megabytes per second (not meaningful for the load benchmark)";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var stats = summary[benchmarkCase]?.ResultStatistics;
            if (stats is null || stats.Mean <= 0 || benchmarkCase.Descriptor.WorkloadMethod.Name == nameof(DictionaryLoad)) return "-";
            // The column runs in the host process, not the benchmark one: rebuild the same seeded titles to count bytes.
            long bytes = SyntheticTitles.Make(4000, seed: 42).Sum(t => (long)Encoding.UTF8.GetByteCount(t));
            return (bytes / 1e6 / (stats.Mean / 1e9)).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}

/// <summary>Seeded product titles shaped like Taobao ones: brand, marketing words, product words, model numbers.</summary>
internal static class SyntheticTitles
{
    private static readonly string[] Brands = ["华为", "小米", "Apple/苹果", "联想", "七彩虹", "安踏", "李宁", "回力", "三只松鼠", "完美日记", "美的", "格力", "佳能", "索尼", "梦之铭", "花西子"];
    private static readonly string[] Marketing = ["新款", "正品", "官方旗舰店", "2024秋冬", "包邮", "韩版", "宽松", "加厚", "爆款", "限时特价", "同款", "ins风"];
    private static readonly string[] Products = ["手机", "笔记本电脑", "连衣裙", "纯棉T恤", "运动鞋", "帆布鞋", "坚果大礼包", "口红", "空调", "电饭煲", "镜头", "显卡", "防晒霜", "机械键盘", "扫地机器人", "羽绒服", "保温杯"];
    private static readonly string[] Models = ["iPhone15", "RTX4090", "24-70mm", "SPF50+", "Mate60 Pro", "256GB", "XL", "5G", "1.5匹", "i7-13700H", "M2"];
    private static readonly string[] Tails = ["男女同款", "学生", "家用", "大容量", "官方正品", "送礼", "夏季", "女士", "儿童"];

    public static string[] Make(int count, int seed)
    {
        var rnd = new Random(seed);
        var titles = new string[count];
        var sb = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            sb.Clear();
            sb.Append(Brands[rnd.Next(Brands.Length)]);
            if (rnd.Next(2) == 0) sb.Append(' ');
            sb.Append(Marketing[rnd.Next(Marketing.Length)]).Append(Marketing[rnd.Next(Marketing.Length)]);
            if (rnd.Next(3) > 0) sb.Append(Models[rnd.Next(Models.Length)]).Append(' ');
            sb.Append(Products[rnd.Next(Products.Length)]);
            if (rnd.Next(2) == 0) sb.Append('【').Append(Tails[rnd.Next(Tails.Length)]).Append('】');
            sb.Append(Tails[rnd.Next(Tails.Length)]);
            titles[i] = sb.ToString();
        }
        return titles;
    }
}
