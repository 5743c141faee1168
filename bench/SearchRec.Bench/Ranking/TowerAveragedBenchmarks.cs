using BenchmarkDotNet.Attributes;
using SearchRec.Core;
using SearchRec.Index;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using SearchRec.Text;

namespace SearchRec.Bench.Ranking;

/// <summary>
/// The model cost of the tower-averaged LambdaMART (<c>lambdamart-towers</c>, 3 towers × 300 trees), and of the same
/// over a linear stacker's two columns (<c>lambdamart-towers-stack</c>), against one LambdaMART (300 trees, tower 1's
/// view) over a window of 200 candidates: the standard features plus three towers' deep columns (synthetic values: this measures the trees, not the towers; <c>search --repeat</c> times the whole
/// request with real towers).
/// </summary>
[MemoryDiagnoser]
public class TowerAveragedBenchmarks
{
    private const int Window = 200;
    private const int Towers = 3;
    private float[] _combined = [];
    private float[] _single = [];
    private float[] _scores = [];
    private TreeEnsembleRanker _one = null!;
    private TowerAveragedRanker _averaged = null!;
    private StackedRanker _stacked = null!;
    private StackedRanker _transfer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        string[] words = ["华为", "手机", "小米", "充电器", "耳机", "蓝牙", "无线", "快充", "保护壳", "钢化膜", "男款", "女款", "夏季", "新款", "正品"];
        var candidates = new RankingCandidate[Window];
        for (var i = 0; i < Window; i++)
        {
            var title = string.Join(" ", Enumerable.Range(0, 8).Select(_ => words[rng.Next(words.Length)]));
            var p = new Product(i.ToString(), title, null, ["数码"], new Dictionary<string, IReadOnlyList<string>>(), 10 + rng.Next(1000));
            var f = new FieldScores((float)rng.NextDouble() * 10, (float)rng.NextDouble() * 10, 0, 0, 0);
            candidates[i] = new RankingCandidate(new RecallCandidate(i, p.Id, f.Title + f.Bigram, f), p);
        }
        var extractor = StandardFeatures.ForSearch();
        var baseMatrix = extractor.Extract(RankingQuery.Create("华为 无线 快充 充电器", new ChineseTokenizer()), candidates);
        var names = extractor.Schema.Names.ToList();
        for (var k = 1; k <= Towers; k++)
            foreach (var n in new[] { "has_deep_item", "deep_query_item", "deep_query_item_rel" }) names.Add(TowerDeepFeatures.ColumnName(n, k));
        var schema = new FeatureSchema(names, extractor.Schema.Version + 1);
        var dim = schema.Count;
        var baseDim = extractor.Schema.Count;

        // Train on noisy copies of the window, the deep columns loosely tied to the labels, so the trees are full-sized.
        var b = new RankingDatasetBuilder(schema);
        var ids = candidates.Select(c => c.Recall.ProductId).ToArray();
        for (var q = 0; q < 40; q++)
        {
            var labels = new float[Window];
            var rows = new float[Window * dim];
            for (var i = 0; i < Window; i++)
            {
                labels[i] = rng.Next(10) == 0 ? rng.Next(1, 3) : 0;
                baseMatrix.AsSpan(i * baseDim, baseDim).CopyTo(rows.AsSpan(i * dim, baseDim));
                for (var k = 0; k < Towers; k++)
                {
                    var cos = (float)(0.3 * labels[i] + rng.NextDouble() * 0.5);
                    rows[i * dim + baseDim + 3 * k] = 1;
                    rows[i * dim + baseDim + 3 * k + 1] = cos;
                    rows[i * dim + baseDim + 3 * k + 2] = cos - 1;
                }
            }
            b.Add("q" + q, rows, labels, ids, new Dictionary<string, int>());
        }
        var data = b.Build();
        var options = new LambdaMartOptions { Trees = 300, Leaves = 16, MinRowsPerLeaf = 5 };
        var info = Enumerable.Range(1, Towers).Select(k => new TowerInfo($"tower {k}", k.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        _averaged = TowerAveragedTrainer.Train(data, options, info).Model;
        _stacked = StackedTrainer.TrainOverTowers(data, new LinearOptions { Iterations = 20 }, options, info, 1).Model;
        // The transfer model's cost is its trees, not what it learnt from: one full-sized LambdaMART over the same rows.
        _transfer = StackedTrainer.TrainTransferOverTowers(data, LambdaMartTrainer.Train(data, options).Model, options, info).Model;
        var view = TowerAveragedTrainer.MemberView(data, 0);
        _one = LambdaMartTrainer.Train(view, options).Model;
        _combined = data.Features.AsSpan(0, Window * dim).ToArray();
        _single = view.Features.AsSpan(0, Window * view.Schema.Count).ToArray();
        _scores = new float[Window];
    }

    [Benchmark(Baseline = true)]
    public float OneLambdaMart200() => Score(_one, _single);

    [Benchmark]
    public float ThreeTowerLambdaMarts200() => Score(_averaged, _combined);

    [Benchmark]
    public float ThreeTowerLambdaMartsOverLinearStack200() => Score(_stacked, _combined);

    [Benchmark]
    public float ThreeTowerLambdaMartsOverTransferModel200() => Score(_transfer, _combined);

    private float Score(IRankerModel model, float[] rows)
    {
        model.Score(rows, Window, _scores);
        return _scores[0];
    }
}
