using BenchmarkDotNet.Attributes;
using SearchRec.Core;
using SearchRec.Index;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.Training;
using SearchRec.Text;

namespace SearchRec.Bench.Ranking;

/// <summary>
/// The ranking stage's per-request work for a window of 200 candidates: feature extraction (the default groups, and
/// with the catalog-IDF group too), and scoring with
/// LambdaMART (300 trees of 16 leaves, the default; 1,000 of 64, the adopted outside-judgment ranker's size) and the
/// linear stacker. Recall and product loading are measured by
/// <c>searchrec bench search</c>.
/// </summary>
[MemoryDiagnoser]
public class RankingBenchmarks
{
    private const int Window = 200;
    private RankingCandidate[] _candidates = [];
    private RankingQuery _query = null!;
    private FeatureExtractor _extractor = null!;
    private FeatureExtractor _withIdf = null!;
    private FeatureExtractor _recallText = null!;
    private float[] _matrixIdf = [];
    private float[] _matrix = [];
    private float[] _scores = [];
    private TreeEnsembleRanker _trees = null!;
    private TreeEnsembleRanker _large = null!;
    private LinearRanker _linear = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        string[] words = ["华为", "手机", "小米", "充电器", "耳机", "蓝牙", "无线", "快充", "保护壳", "钢化膜", "男款", "女款", "夏季", "新款", "正品"];
        _candidates = new RankingCandidate[Window];
        for (var i = 0; i < Window; i++)
        {
            var title = string.Join(" ", Enumerable.Range(0, 8).Select(_ => words[rng.Next(words.Length)]));
            var p = new Product(i.ToString(), title, rng.Next(2) == 0 ? "华为" : null, ["数码", "手机配件"], new Dictionary<string, IReadOnlyList<string>>(), 10 + rng.Next(1000));
            var f = new FieldScores((float)rng.NextDouble() * 10, (float)rng.NextDouble() * 10, 0, 0, 0);
            _candidates[i] = new RankingCandidate(new RecallCandidate(i, p.Id, f.Title + f.Bigram, f), p);
        }
        _query = RankingQuery.Create("华为 无线 快充 充电器", new ChineseTokenizer());
        _extractor = StandardFeatures.ForSearch();
        _withIdf = StandardFeatures.ForSearch(new FeatureSources { TitleStats = TitleBigramStats.Build(_candidates.Select(c => c.Product.Title)) });
        _matrixIdf = new float[Window * _withIdf.Schema.Count];
        _recallText = new FeatureExtractor([new RecallFeatures(), new TextFeatures()]);
        _matrix = new float[Window * _extractor.Schema.Count];
        _scores = new float[Window];
        _extractor.Extract(_query, _candidates, _matrix);

        // Train on noisy copies of the window so that the trees are full-sized.
        var b = new RankingDatasetBuilder(_extractor.Schema);
        for (var q = 0; q < 40; q++)
        {
            var labels = new float[Window];
            for (var i = 0; i < Window; i++) labels[i] = rng.Next(10) == 0 ? rng.Next(1, 3) : 0;
            b.Add("q" + q, _matrix, labels, _candidates.Select(c => c.Recall.ProductId).ToArray(), new Dictionary<string, int>());
        }
        var data = b.Build();
        _trees = LambdaMartTrainer.Train(data, new LambdaMartOptions { Trees = 300, Leaves = 16, MinRowsPerLeaf = 5 }).Model;
        _large = LambdaMartTrainer.Train(data, new LambdaMartOptions { Trees = 1000, Leaves = 64, MinRowsPerLeaf = 5 }).Model;
        _linear = LinearTrainer.Train(data, new LinearOptions { Iterations = 20 });
    }

    [Benchmark]
    public float Features200()
    {
        _extractor.Extract(_query, _candidates, _matrix);
        return _matrix[0];
    }

    // The groups before the list and head groups were added: their cost is the difference to Features200.
    [Benchmark]
    public float Features200RecallTextOnly()
    {
        _recallText.Extract(_query, _candidates, _matrix);
        return _matrix[0];
    }

    [Benchmark]
    public float Features200WithIdf()
    {
        _withIdf.Extract(_query, _candidates, _matrixIdf);
        return _matrixIdf[0];
    }

    [Benchmark]
    public float LambdaMart300Trees200()
    {
        _trees.Score(_matrix, Window, _scores);
        return _scores[0];
    }

    [Benchmark]
    public float LambdaMart1000Trees64Leaves200()
    {
        _large.Score(_matrix, Window, _scores);
        return _scores[0];
    }

    [Benchmark(Baseline = true)]
    public float Linear200()
    {
        _linear.Score(_matrix, Window, _scores);
        return _scores[0];
    }
}
