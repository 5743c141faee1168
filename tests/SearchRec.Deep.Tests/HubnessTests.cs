using System.Globalization;
using SearchRec.Core;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Text;
using SearchRec.Deep.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Deep.Tests;

public sealed class HubnessTests : IDisposable
{
    private static readonly string[] Titles =
    [
        "红色连衣裙 夏季 女装", "蓝牙耳机 无线 降噪", "不锈钢保温杯 大容量", "儿童运动鞋 透气", "机械键盘 青轴 游戏", "纯棉T恤 男 短袖",
        "电饭煲 智能 预约", "真丝围巾 女 春秋", "耳机", "连衣裙",
    ];

    private static readonly string[] Queries =
    [
        "连衣裙", "女装 夏季", "无线耳机", "降噪耳机", "保温杯", "大容量 杯", "运动鞋 儿童", "透气 鞋", "机械键盘", "游戏键盘",
        "T恤 男", "纯棉 短袖", "电饭煲", "智能 电饭煲", "丝巾", "围巾 女", "耳机 蓝牙", "红色 裙子", "键盘 青轴", "杯子",
    ];

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // A tiny text tower over the first `count` titles (ids 1..count, or offset ids for "another catalog").
    private string Train(int seed, int count = 10, int idOffset = 0, string? name = null)
    {
        var products = Titles.Take(count).Select((t, i) => Product.Of((i + 1 + idOffset).ToString(CultureInfo.InvariantCulture), t)).ToArray();
        var options = new DeepTrainingOptions
        {
            Seed = seed, TextEpochs = 2, BatchSize = 8, Threads = 1, Text = new TextFeaturizerOptions { Buckets = 1024 },
            TextEmbeddingDim = 8, Hidden = 8, OutputDim = 8,
        };
        var dir = _dir.File(name ?? $"s{seed}-n{count}-o{idOffset}");
        DeepTraining.TrainText(products, [], dir, options);
        return dir;
    }

    private static string[] AllIds(DeepScorer s) => s.Items.Ids;

    [Fact]
    public void ThePenaltyIsTheMeanOfEachItemsKHighestCosinesComputedByBruteForce()
    {
        var dir = Train(1);
        var summary = HubnessCorrection.Compute(dir, Queries, new HubnessOptions { K = 3, Factor = 0.5f, Threads = 2 });
        using var raw = DeepScorer.Open(dir, null, null, applyHubness: false);
        var ids = AllIds(raw);
        var cosines = Queries.Select(q => raw.Score(q, ids)).ToArray(); // [query][item], one query at a time
        var (r, info) = HubnessCorrection.Read(Path.Combine(dir, HubnessCorrection.FileName), raw.Items);

        Assert.Equal(new HubnessInfo(3, Queries.Length, 0.5f, ids.Length), info);
        Assert.Equal((3, Queries.Length, ids.Length), (summary.K, summary.QueryCount, summary.ItemCount));
        for (var i = 0; i < ids.Length; i++)
        {
            var column = cosines.Select(c => (double)c[i]).OrderByDescending(c => c).ToArray();
            var expected = column.Take(3).Average();
            Assert.True(Math.Abs(expected - r[i]) < 1e-5, $"item {ids[i]}: brute force {expected} vs stored {r[i]}");
            Assert.True(r[i] < column[0] + 1e-6 && r[i] > column[3] - 1e-6);
        }
        using var corrected = DeepScorer.Open(dir);
        var got = corrected.Score("无线耳机", ids);
        var plain = raw.Score("无线耳机", ids);
        for (var i = 0; i < ids.Length; i++) Assert.Equal(plain[i] - 0.5f * r[i], got[i], 5);
        Assert.Equal(info, corrected.Hubness);
        Assert.Null(raw.Hubness);
    }

    [Fact]
    public void AnItemNearEveryQueryDropsBelowANonHubWithTheSameCosine()
    {
        // dim 3: the hub (1,1,1)/√3 is close to every query; the non-hub e1 only to the few queries leaning on x.
        var s3 = 1f / MathF.Sqrt(3);
        float[] items = [s3, s3, s3, 1, 0, 0];
        var queries = new List<float[]>();
        var rng = new Random(3);
        for (var j = 0; j < 40; j++)
        {
            float[] v = [(float)rng.NextDouble() * 0.3f, 0.5f + (float)rng.NextDouble(), 0.5f + (float)rng.NextDouble()];
            var n = MathF.Sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            queries.Add([v[0] / n, v[1] / n, v[2] / n]);
        }
        var flat = queries.SelectMany(v => v).ToArray();
        var r = HubnessCorrection.TopKMeans(items, 2, flat, queries.Count, 3, k: 5, threads: 2, progress: null);
        Assert.True(r[0] > r[1] + 0.3, $"hub r {r[0]} vs non-hub r {r[1]}");
        var vectors = new ItemVectors(["hub", "plain"], ["", ""], items, 3);
        // A query with the same cosine to both: q·hub = q·e1 ⇔ (a + b)/√3 = a.
        var b = MathF.Sqrt(3) - 1;
        var norm = MathF.Sqrt(1 + b * b);
        float[] q = [1 / norm, b / norm, 0];
        var before = new float[2];
        vectors.Score(q, ["hub", "plain"], before);
        Assert.Equal(before[0], before[1], 5);

        var corrected = vectors.WithPenalty([0.5f * r[0], 0.5f * r[1]]);
        var after = new float[2];
        corrected.Score(q, ["hub", "plain"], after);

        Assert.True(after[0] < after[1], $"hub {after[0]} should fall below the non-hub {after[1]}");
        Assert.Equal(["plain", "hub"], corrected.Nearest(q, 2).Select(n => n.ProductId));
    }

    [Fact]
    public void NearestWithThePenaltyEqualsSortingScoreOverAllItems()
    {
        var dir = Train(2);
        HubnessCorrection.Compute(dir, Queries, new HubnessOptions { K = 4, Factor = 2f });
        using var scorer = DeepScorer.Open(dir);
        var ids = AllIds(scorer);
        foreach (var query in new[] { "耳机", "连衣裙 红色", "保温杯", "键盘" })
        {
            var v = scorer.EncodeQuery(query);
            var scores = new float[ids.Length];
            scorer.Score(v, ids, scores);
            var expected = Enumerable.Range(0, ids.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Select(i => (ids[i], scores[i])).ToArray();

            var nearest = scorer.Nearest(query, ids.Length);

            Assert.Equal(expected.Select(e => e.Item1), nearest.Select(n => n.ProductId));
            for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i].Item2, nearest[i].Score, 5);
        }
        // With factor 2 the correction really reorders something against the plain cosines.
        using var raw = DeepScorer.Open(dir, null, null, applyHubness: false);
        Assert.Contains(new[] { "耳机", "连衣裙 红色", "保温杯", "键盘" }, q =>
            !raw.Nearest(q, ids.Length).Select(n => n.ProductId).SequenceEqual(scorer.Nearest(q, ids.Length).Select(n => n.ProductId)));
    }

    [Fact]
    public void APenaltyFileForAnotherItemSetOrAnotherTowerIsRefusedNamingTheFile()
    {
        var source = Train(3);
        HubnessCorrection.Compute(source, Queries, new HubnessOptions { K = 2 });
        var fewer = Train(3, count: 8);
        var otherIds = Train(3, idOffset: 100);
        var otherTower = Train(4);
        foreach (var (target, reason) in new[] { (fewer, "another item set"), (otherIds, "another item set"), (otherTower, "another tower") })
        {
            var file = Path.Combine(target, HubnessCorrection.FileName);
            File.Copy(Path.Combine(source, HubnessCorrection.FileName), file, overwrite: true);

            var e = Assert.Throws<InvalidDataException>(() => DeepScorer.Open(target));

            Assert.Contains(file, e.Message, StringComparison.Ordinal);
            Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        }
        File.WriteAllBytes(Path.Combine(fewer, HubnessCorrection.FileName), [1, 2, 3]);
        Assert.Contains("not a SearchRec hubness file", Assert.Throws<InvalidDataException>(() => DeepScorer.Open(fewer)).Message, StringComparison.Ordinal);
        Assert.True(HubnessCorrection.Remove(fewer));
        Assert.False(HubnessCorrection.Remove(fewer));
        using var plain = DeepScorer.Open(fewer);
        Assert.Null(plain.Hubness);
    }

    [Fact]
    public void SelectQueriesNeverTakesATwinOfAnExcludedQuery()
    {
        string[] log = ["保溫杯", "ＵＳＢ 风扇", "连衣裙", "耳机"];
        var picked = HubnessCorrection.SelectQueries(log, 10, ["保温杯", "usb风扇"], out var dropped);
        Assert.Equal(["连衣裙", "耳机"], picked);
        Assert.Equal(2, dropped);
    }

    [Fact]
    public void SelectQueriesTakesTheFirstDistinctTextsInOrderAndNeverAnExcludedOne()
    {
        string[] log = ["耳机", " 连衣裙 ", "耳机", "保温杯", "键盘", "电饭煲", "连衣裙", "围巾", "杯子"];

        var picked = HubnessCorrection.SelectQueries(log, 4, ["保温杯", "围巾 "], out var dropped);

        Assert.Equal(["耳机", "连衣裙", "键盘", "电饭煲"], picked);
        Assert.Equal(1, dropped);
        Assert.Equal(["耳机", "连衣裙", "键盘", "电饭煲", "杯子"], HubnessCorrection.SelectQueries(log, 100, ["保温杯", "围巾"], out dropped));
        Assert.Equal(2, dropped);
    }

    [Fact]
    public void ExcludedQueriesDoNotChangeThePenaltyWhenTheRestAreTheSame()
    {
        var dir = Train(5);
        var withExcluded = HubnessCorrection.SelectQueries([.. Queries, "蓝牙耳机 无线 降噪"], 100, ["蓝牙耳机 无线 降噪"], out _);
        HubnessCorrection.Compute(dir, withExcluded, new HubnessOptions { K = 3 });
        using var a = DeepScorer.Open(dir, null, null, applyHubness: false);
        var (r1, _) = HubnessCorrection.Read(Path.Combine(dir, HubnessCorrection.FileName), a.Items);
        HubnessCorrection.Compute(dir, Queries, new HubnessOptions { K = 3 });
        var (r2, _) = HubnessCorrection.Read(Path.Combine(dir, HubnessCorrection.FileName), a.Items);
        HubnessCorrection.Compute(dir, [.. Queries, "蓝牙耳机 无线 降噪"], new HubnessOptions { K = 3 });
        var (r3, _) = HubnessCorrection.Read(Path.Combine(dir, HubnessCorrection.FileName), a.Items);

        Assert.Equal(r2, r1);
        Assert.NotEqual(r2, r3); // the title itself as a query raises its item's r, so the check can fail
    }

    [Fact]
    public void AnEnsembleOfCorrectedTowersSubtractsTheMeanPenaltyAndMixedMembersAreRefused()
    {
        var m1 = Train(6);
        var m2 = Train(7);
        HubnessCorrection.Compute(m1, Queries, new HubnessOptions { K = 3, Factor = 0.5f });
        HubnessCorrection.Compute(m2, Queries, new HubnessOptions { K = 5, Factor = 1f });
        var ids = Enumerable.Range(1, Titles.Length).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        using (var ensemble = TowerEnsemble.Create([DeepScorer.Open(m1), DeepScorer.Open(m2)]))
        using (var a = DeepScorer.Open(m1))
        using (var b = DeepScorer.Open(m2))
        {
            var sa = a.Score("降噪耳机", ids);
            var sb = b.Score("降噪耳机", ids);
            var got = ensemble.Score("降噪耳机", ids);
            for (var i = 0; i < ids.Length; i++) Assert.Equal((sa[i] + sb[i]) / 2, got[i], 5);
            Assert.True(ensemble.HubnessCorrected);
            Assert.Contains("CSLS", DenseModels.Describe(ensemble), StringComparison.Ordinal);
            Assert.Contains("CSLS", DenseModels.Describe(a), StringComparison.Ordinal);
        }
        HubnessCorrection.Remove(m2);
        File.WriteAllText(_dir.File("ensemble.json"), "{\"members\": [\"" + Path.GetFileName(m1) + "\", \"" + Path.GetFileName(m2) + "\"]}");

        var e = Assert.Throws<InvalidDataException>(() => DenseModels.Open(_dir.Path));

        Assert.Contains("hubness correction", e.Message, StringComparison.Ordinal);
        Assert.Contains(m2, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetrainingATowerRemovesItsOldCorrection()
    {
        var dir = Train(8, name: "retrain");
        HubnessCorrection.Compute(dir, Queries, new HubnessOptions { K = 2 });
        Assert.True(File.Exists(Path.Combine(dir, HubnessCorrection.FileName)));

        Train(9, name: "retrain");

        Assert.False(File.Exists(Path.Combine(dir, HubnessCorrection.FileName)));
        using var scorer = DeepScorer.Open(dir);
        Assert.Null(scorer.Hubness);
    }

    [Fact]
    public void BadSettingsAreRefusedNamingTheField()
    {
        Assert.Contains("HubnessOptions.K", Assert.Throws<ArgumentOutOfRangeException>(() => new HubnessOptions { K = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("HubnessOptions.Factor", Assert.Throws<ArgumentOutOfRangeException>(() => new HubnessOptions { Factor = -0.1f }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("HubnessOptions.Factor", Assert.Throws<ArgumentOutOfRangeException>(() => new HubnessOptions { Factor = float.NaN }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("HubnessOptions.Threads", Assert.Throws<ArgumentOutOfRangeException>(() => new HubnessOptions { Threads = -1 }.Validate()).Message, StringComparison.Ordinal);
        var dir = Train(10);
        Assert.Contains("fewer than k = 30", Assert.Throws<ArgumentException>(() => HubnessCorrection.Compute(dir, Queries, new HubnessOptions { K = 30 })).Message, StringComparison.Ordinal);
        File.WriteAllText(_dir.File("ensemble.json"), "{\"members\": [\"" + Path.GetFileName(dir) + "\"]}");
        Assert.Contains("ensemble", Assert.Throws<ArgumentException>(() => HubnessCorrection.Compute(_dir.Path, Queries)).Message, StringComparison.Ordinal);
    }
}
