using SearchRec.Core;
using SearchRec.Deep.Model;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Text;
using SearchRec.Deep.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Deep.Tests;

public sealed class ResidualTrainingTests
{
    private static Bag B(params long[] ids) => new(ids, ids.Select(_ => 1f).ToArray());

    private static BagTower Tower(int seed)
    {
        var t = new BagTower("t", 64, 8, 12, 8);
        t.Initialize(new Random(seed));
        return t;
    }

    [Fact]
    public void AZeroOffsetListWithInBatchNegativesReproducesTodaysPairLoss()
    {
        var tower = Tower(1);
        var trainer = new TwoTowerTrainer(tower, tower, new TrainerOptions { BatchSize = 4, Threads = 1 });
        PairExample[] pairs =
        [
            new(B(1, 2), B(3, 4), 0) { Negative = B(7, 8), NegativeKey = 1 },
            new(B(5, 6), B(7, 8), 1),
            new(B(9, 10), B(11, 12), 2) { Negative = B(13, 14), NegativeKey = 5 },
            new(B(15, 16), B(3, 4), 0),
        ];
        // The same rows as lists: the positive (and the hard negative) as own candidates, offsets 0.
        var lists = pairs.Select(p => p.HasNegative
            ? new ListExample(p.Left, [p.Right, p.Negative], [p.Key, p.NegativeKey], [0f, 0f], 0)
            : new ListExample(p.Left, [p.Right], [p.Key], [0f], 0)).ToArray();
        var pairLoss = trainer.Loss(pairs);
        Assert.Equal(pairLoss, trainer.ListLoss(lists, inBatch: true), 5);
        var plain = pairs.Select(p => p with { Negative = default, NegativeKey = -1 }).ToArray();
        Assert.Equal(trainer.Loss(plain), trainer.ListLoss(plain.Select(p => new ListExample(p.Left, [p.Right], [p.Key], [0f], 0)).ToArray(), inBatch: true), 5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ListGradientsWithOffsetsMatchFiniteDifferences(bool inBatch)
    {
        var tower = Tower(3);
        var trainer = new TwoTowerTrainer(tower, tower, new TrainerOptions { BatchSize = 4, Threads = 2, Temperature = 0.5f });
        ListExample[] lists =
        [
            new(B(1, 2, 3), [B(4, 5), B(6, 7, 8), B(9)], [4, 6, 9], [1.5f, 0.7f, 0.2f], 1),
            new(B(10, 11), [B(12, 13), B(4, 5)], [12, 4], [0.9f, 0.1f], 0),
            new(B(14, 2), [B(15, 16), B(17), B(18, 19), B(6, 7, 8)], [15, 17, 18, 6], [2f, 1.9f, 0f, 0.4f], 3),
        ];
        trainer.ListGradients(lists, inBatch);
        var g = trainer.LeftGrads;
        const float eps = 1e-2f;
        double Numeric(float[] p, int k)
        {
            var keep = p[k];
            p[k] = keep + eps; var up = trainer.ListLoss(lists, inBatch);
            p[k] = keep - eps; var down = trainer.ListLoss(lists, inBatch);
            p[k] = keep;
            return (up - down) / (2 * eps);
        }
        var checkedAny = 0;
        for (var k = 0; k < tower.W2.Length; k += 7)
        {
            var n = Numeric(tower.W2, k);
            Assert.True(Math.Abs(n - g.W2[k]) < 2e-3 + 0.02 * Math.Abs(n), $"W2[{k}]: analytic {g.W2[k]} vs numeric {n}");
            if (Math.Abs(n) > 1e-3) checkedAny++;
        }
        for (var k = 0; k < tower.W1.Length; k += 5)
        {
            var n = Numeric(tower.W1, k);
            Assert.True(Math.Abs(n - g.W1[k]) < 2e-3 + 0.02 * Math.Abs(n), $"W1[{k}]: analytic {g.W1[k]} vs numeric {n}");
        }
        Assert.True(checkedAny > 3, "the check must see non-zero gradients");
    }

    [Fact]
    public void AnOffsetThatAlreadyPicksTheTargetLeavesLessLossThanOneThatPicksAnother()
    {
        var tower = Tower(5);
        var trainer = new TwoTowerTrainer(tower, tower, new TrainerOptions { BatchSize = 2, Threads = 1 });
        ListExample List(float[] offsets) => new(B(1, 2), [B(3, 4), B(5, 6)], [3, 5], offsets, 1);
        var agree = trainer.ListLoss([List([0f, 5f])], inBatch: false);
        var zero = trainer.ListLoss([List([0f, 0f])], inBatch: false);
        var disagree = trainer.ListLoss([List([5f, 0f])], inBatch: false);
        Assert.True(agree < zero && zero < disagree, $"{agree} / {zero} / {disagree}");
        Assert.True(agree < 0.05, $"a 5-nat offset toward the target should leave little loss, got {agree}");
    }

    private static readonly string[] Titles =
    [
        "红色连衣裙 夏季 女装", "红色连衣裙 长款 女装 雪纺", "蓝牙耳机 无线 降噪", "蓝牙耳机 有线 运动", "不锈钢保温杯 大容量",
        "不锈钢保温杯 儿童 吸管", "机械键盘 青轴 游戏", "机械键盘 红轴 办公", "纯棉T恤 男 短袖", "纯棉T恤 女 长袖",
    ];

    [Fact]
    public void ResidualListsTeachTheFusedScoreToPutTheTeachersPickAboveBm25sTop()
    {
        using var dir = new TempDir();
        var products = Titles.Select((t, i) => Product.Of((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), t)).ToArray();
        // BM25 puts the first of each look-alike pair on top by a little; the teacher picks the second.
        var lists = new List<ResidualList>();
        (string Query, string Bm25Top, string Pick)[] cases = [("连衣裙 雪纺", "1", "2"), ("耳机 运动", "3", "4"), ("保温杯 吸管", "5", "6"), ("键盘 办公", "7", "8"), ("T恤 长袖", "9", "10")];
        foreach (var (q, top, pick) in cases)
            for (var r = 0; r < 8; r++) lists.Add(new ResidualList(q, [top, pick], [1f, 0.95f], 1));
        var options = new DeepTrainingOptions
        {
            TextEpochs = 2, ResidualEpochs = 30, BatchSize = 8, Threads = 2, SpansPerTitle = 4, ResidualFusionWeight = 0.5,
            Text = new TextFeaturizerOptions { Buckets = 4096 }, TextEmbeddingDim = 16, Hidden = 32, OutputDim = 16,
            LearningRate = 5e-3f, EmbeddingLearningRate = 2e-2f,
        };
        var report = DeepTraining.TrainText(products, [], dir.Path, options, residualLists: lists);
        Assert.Equal(2 + 30, report.EpochLoss.Count);
        Assert.True(report.EpochLoss[^1] < report.EpochLoss[2] * 0.5, $"residual loss {report.EpochLoss[2]:F3} -> {report.EpochLoss[^1]:F3}");
        using var scorer = DeepScorer.Open(dir.Path);
        foreach (var (q, top, pick) in cases)
        {
            var cos = scorer.Score(q, [top, pick]);
            // The fusion at the trained weight: 0.5·bm25 + 0.5·cos.
            Assert.True(0.5 * 0.95 + 0.5 * cos[1] > 0.5 * 1 + 0.5 * cos[0], $"{q}: cos {cos[0]:F3} (BM25 top) vs {cos[1]:F3} (pick)");
        }
    }

    [Fact]
    public void ABadResidualListIsRefusedNamingTheListAndItsQuery()
    {
        using var dir = new TempDir();
        var products = Titles.Select((t, i) => Product.Of((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), t)).ToArray();
        var options = new DeepTrainingOptions { TextEpochs = 0, Text = new TextFeaturizerOptions { Buckets = 1024 }, TextEmbeddingDim = 8, Hidden = 8, OutputDim = 8 };
        var e = Assert.Throws<ArgumentException>(() => DeepTraining.TrainText(products, [], dir.Path, options,
            residualLists: [new ResidualList("ok", ["1", "2"], [1f, 0.5f], 0), new ResidualList("耳机", ["3", "4"], [1f], 0)]));
        Assert.Contains("residual list 1 ('耳机')", e.Message);
        var t = Assert.Throws<ArgumentException>(() => DeepTraining.TrainText(products, [], dir.Path, options,
            residualLists: [new ResidualList("耳机", ["3", "4"], [1f, 0.2f], 2)]));
        Assert.Contains("target 2", t.Message);
        var w = Assert.Throws<ArgumentOutOfRangeException>(() => new DeepTrainingOptions { ResidualFusionWeight = 1 }.Validate());
        Assert.Contains("ResidualFusionWeight", w.Message);
    }

    [Fact]
    public void ATowerReadBackFromItsOnnxFileAndNotTrainedFurtherIsWrittenOutUnchanged()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var products = Titles.Select((t, i) => Product.Of((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), t)).ToArray();
        var options = new DeepTrainingOptions { TextEpochs = 1, BatchSize = 8, Threads = 1, Text = new TextFeaturizerOptions { Buckets = 1024 }, TextEmbeddingDim = 8, Hidden = 12, OutputDim = 8 };
        DeepTraining.TrainText(products, [], a.Path, options);
        var again = new DeepTrainingOptions { TextEpochs = 0, Seed = 99, BatchSize = 8, Threads = 1, Text = new TextFeaturizerOptions { Buckets = 1024 }, TextEmbeddingDim = 8, Hidden = 12, OutputDim = 8, InitialTextModel = a.Path };
        DeepTraining.TrainText(products, [], b.Path, again);
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, "text-tower.onnx")), File.ReadAllBytes(Path.Combine(b.Path, "text-tower.onnx")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, "text-item-vectors.bin")), File.ReadAllBytes(Path.Combine(b.Path, "text-item-vectors.bin")));
        var wider = new DeepTrainingOptions { TextEpochs = 0, Text = new TextFeaturizerOptions { Buckets = 1024 }, TextEmbeddingDim = 8, Hidden = 16, OutputDim = 8, InitialTextModel = a.Path };
        var e = Assert.Throws<InvalidDataException>(() => DeepTraining.TrainText(products, [], b.Path, wider));
        Assert.Contains("initializer 'w1'", e.Message);
    }
}
