using System.Diagnostics;
using SearchRec.Core;
using SearchRec.Deep.Model;
using SearchRec.Deep.Onnx;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Text;
using SearchRec.Deep.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Deep.Tests;

public sealed class PoolingTests
{
    public static TheoryData<BagPooling> AllPoolings => [BagPooling.Mean, BagPooling.Sqrt, BagPooling.Max, BagPooling.Attention];

    private static BagTower RandomTower(BagPooling pooling, int seed, int vocab = 300, int dim = 12, int hidden = 20, int output = 8)
    {
        var t = new BagTower("t", vocab, dim, hidden, output, pooling: pooling);
        t.Initialize(new Random(seed));
        var rng = new Random(seed + 100);
        for (var i = 0; i < t.B1.Length; i++) t.B1[i] = (float)(rng.NextDouble() - 0.5);
        for (var i = 0; i < t.Att.Length; i++) t.Att[i] = (float)(rng.NextDouble() * 4 - 2);
        return t;
    }

    [Theory]
    [MemberData(nameof(AllPoolings))]
    public void OnnxRuntimeMatchesTheTrainingForwardPassForEveryPooling(BagPooling pooling)
    {
        TowerTestKit.AssertOnnxRuntimeMatchesForward(RandomTower(pooling, 5), 11, batch: 6, length: 9, minId: 1, label: pooling.ToString());
    }

    [Theory]
    [MemberData(nameof(AllPoolings))]
    public void PoolingGradientsMatchFiniteDifferences(BagPooling pooling)
    {
        var t = RandomTower(pooling, 9, vocab: 20, dim: 6);
        long[] ids = [3, 7, 3, 12, 0, 5];
        float[] w = [1f, 0.5f, 2f, 1.5f, 0f, 1f];
        var c = new float[t.Dim];
        var rng = new Random(3);
        for (var d = 0; d < c.Length; d++) c[d] = (float)(rng.NextDouble() * 2 - 1);
        // L = c · pooled, so dL/dpooled = c.
        double Loss()
        {
            var p = new float[t.Dim];
            t.Pool(ids, w, p);
            double s = 0;
            for (var d = 0; d < t.Dim; d++) s += c[d] * p[d];
            return s;
        }
        var pooled = new float[t.Dim];
        var argmax = new int[t.Dim];
        var alpha = new float[ids.Length];
        var dScore = new float[ids.Length];
        var denom = t.Pool(ids, w, pooled, argmax, alpha);
        var g = new BagTower.DenseGrads(t);
        if (pooling == BagPooling.Attention) t.BackwardAttention(ids, alpha, c, dScore, g);
        var gE = new float[t.Emb.Length];
        var touched = new HashSet<int>();
        t.ScatterPoolGrad(ids, w, c, denom, argmax, alpha, dScore, (float[])t.Att.Clone(), gE, id => touched.Add(id));
        Assert.Subset(new HashSet<int> { 3, 7, 12, 5 }, touched); // padding (id 0 / weight 0) is never touched
        if (pooling != BagPooling.Max) Assert.Equal(4, touched.Count);
        const float eps = 1e-3f;
        foreach (var id in new[] { 3, 7, 12, 5 })
            for (var d = 0; d < t.Dim; d++)
            {
                var k = id * t.Dim + d;
                var keep = t.Emb[k];
                t.Emb[k] = keep + eps; var up = Loss();
                t.Emb[k] = keep - eps; var down = Loss();
                t.Emb[k] = keep;
                var numeric = (up - down) / (2 * eps);
                Assert.True(Math.Abs(numeric - gE[k]) < 2e-3, $"{pooling} emb[{id},{d}]: analytic {gE[k]} vs numeric {numeric}");
            }
        for (var d = 0; d < t.Att.Length; d++)
        {
            var keep = t.Att[d];
            t.Att[d] = keep + eps; var up = Loss();
            t.Att[d] = keep - eps; var down = Loss();
            t.Att[d] = keep;
            var numeric = (up - down) / (2 * eps);
            Assert.True(Math.Abs(numeric - g.Att[d]) < 2e-3, $"att[{d}]: analytic {g.Att[d]} vs numeric {numeric}");
        }
    }

    [Fact]
    public void MaxPoolingKeepsAMatchingGramsValueInALongBagWhereTheMeanDilutesIt()
    {
        var mean = RandomTower(BagPooling.Mean, 2);
        var max = RandomTower(BagPooling.Max, 2);
        long[] shortBag = [4, 9];
        long[] longBag = [4, 9, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29];
        var ws = Enumerable.Repeat(1f, shortBag.Length).ToArray();
        var wl = Enumerable.Repeat(1f, longBag.Length).ToArray();
        var a = new float[mean.Dim]; var b = new float[mean.Dim];
        max.Pool(shortBag, ws, a); max.Pool(longBag, wl, b);
        for (var d = 0; d < a.Length; d++) Assert.True(b[d] >= a[d]); // adding grams never lowers a dimension's max
        mean.Pool(shortBag, ws, a); mean.Pool(longBag, wl, b);
        Assert.NotEqual(a, b);
    }

    [Theory]
    [MemberData(nameof(AllPoolings))]
    public void TrainingWithEveryPoolingLowersTheLossAndTheManifestNamesThePooling(BagPooling pooling)
    {
        using var dir = new TempDir();
        string[] titles = ["红色连衣裙 夏季 女装", "蓝牙耳机 无线 降噪", "不锈钢保温杯 大容量", "儿童运动鞋 透气", "机械键盘 青轴 游戏", "纯棉T恤 男 短袖", "电饭煲 智能 预约", "真丝围巾 女 春秋"];
        var products = titles.Select((t, i) => Product.Of((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), t)).ToArray();
        var options = new DeepTrainingOptions
        {
            TextEpochs = 15, BatchSize = 16, Threads = 2, SpansPerTitle = 12, Text = new TextFeaturizerOptions { Buckets = 2048 },
            TextEmbeddingDim = 16, Hidden = 32, OutputDim = 16, LearningRate = 5e-3f, EmbeddingLearningRate = 2e-2f, TextPooling = pooling,
        };
        var report = DeepTraining.TrainText(products, [("降噪耳机", "2")], dir.Path, options);
        Assert.True(report.EpochLoss[^1] < report.EpochLoss[0] * 0.6, $"{pooling}: loss {report.EpochLoss[0]:F3} -> {report.EpochLoss[^1]:F3}");
        Assert.Equal(pooling.ToString().ToLowerInvariant(), DeepModelManifest.Read(dir.Path).Text!.Pooling);
        using var scorer = DeepScorer.Open(dir.Path);
        Assert.Equal("2", scorer.Nearest("降噪耳机", 3)[0].ProductId);
    }

    [Fact]
    public void AnUndefinedPoolingIsRefusedNamingTheField()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DeepTrainingOptions { TextPooling = (BagPooling)42 }.Validate());
        Assert.Contains("TextPooling", e.Message, StringComparison.Ordinal);
    }

    [ExternalFact("/usr/bin/python3", "-c \"import onnx\"")]
    public void TowersWithMaxAndAttentionPoolingPassTheOfficialOnnxChecker()
    {
        using var dir = new TempDir();
        foreach (var pooling in new[] { BagPooling.Sqrt, BagPooling.Max, BagPooling.Attention })
        {
            var path = dir.File($"{pooling}.onnx");
            File.WriteAllBytes(path, TowerExporter.Export(RandomTower(pooling, 4), "test"));
            Assert.Equal("13", TowerTestKit.RunOnnxChecker(path, "m.opset_import[0].version"));
        }
    }
}
