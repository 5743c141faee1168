using SearchRec.Core;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Text;
using SearchRec.Deep.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Deep.Tests;

public sealed class TowerEnsembleTests : IDisposable
{
    private static readonly string[] Titles = ["红色连衣裙 夏季 女装", "蓝牙耳机 无线 降噪", "不锈钢保温杯 大容量", "儿童运动鞋 透气", "机械键盘 青轴 游戏", "纯棉T恤 男 短袖", "电饭煲 智能 预约", "真丝围巾 女 春秋"];
    private readonly TempDir _dir = new();

    // A tiny tower per seed; `count` titles, so a later member can hold items an earlier one lacks.
    private DeepScorer Train(int seed, int count, int outputDim = 8)
    {
        var products = Titles.Take(count).Select((t, i) => Product.Of((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), t)).ToArray();
        var options = new DeepTrainingOptions
        {
            Seed = seed, TextEpochs = 2, BatchSize = 8, Threads = 1, Text = new TextFeaturizerOptions { Buckets = 1024 },
            TextEmbeddingDim = 8, Hidden = 8, OutputDim = outputDim,
        };
        var dir = _dir.File($"s{seed}-n{count}-d{outputDim}");
        DeepTraining.TrainText(products, [], dir, options);
        return DeepScorer.Open(dir);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void TheEnsembleScoreIsTheMeanOfTheMembersCosinesWithZeroForAMemberLackingTheItem()
    {
        DeepScorer[] members = [Train(1, 6), Train(2, 8, outputDim: 4), Train(3, 8)];
        string[] ids = ["1", "3", "5", "7", "8", "unknown"];
        const string query = "无线耳机 降噪";
        var expected = new double[ids.Length];
        foreach (var m in members)
        {
            var s = m.Score(query, ids);
            for (var i = 0; i < ids.Length; i++) expected[i] += s[i] / 3.0;
        }
        Assert.False(members[0].Contains("7")); // so item 7's mean has a zero term
        using var ensemble = TowerEnsemble.Create(members);

        var got = ensemble.Score(query, ids);

        Assert.Equal(3, ensemble.Count);
        Assert.Equal(20, ensemble.Dimension);
        Assert.Equal(8, ensemble.ItemCount);
        for (var i = 0; i < ids.Length; i++) Assert.True(Math.Abs(expected[i] - got[i]) < 1e-5, $"{ids[i]}: mean {expected[i]} vs ensemble {got[i]}");
        Assert.Equal(0f, got[^1]);
        Assert.NotEqual(got[0], got[1]);
    }

    [Fact]
    public void NearestRanksEveryItemByTheMeanCosineLikeScoringThemAll()
    {
        using var ensemble = TowerEnsemble.Create([Train(4, 8), Train(5, 8)]);
        var all = Enumerable.Range(1, 8).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var q = ensemble.EncodeQuery("保温杯");
        var scores = new float[all.Length];
        ensemble.Score(q, all, scores);
        var expected = Enumerable.Range(0, all.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(5).Select(i => all[i]).ToArray();

        var nearest = ensemble.Nearest("保温杯", 5);

        Assert.Equal(expected, nearest.Select(n => n.ProductId).ToArray());
        Assert.Equal(1.0, Math.Sqrt(q.Sum(x => (double)x * x)), 4); // K unit vectors, each scaled by 1/√K
    }

    [Fact]
    public void AOneTowerEnsembleScoresLikeTheTowerItself()
    {
        var tower = Train(6, 8);
        string[] ids = ["2", "4", "6"];
        var alone = tower.Score("机械键盘", ids);
        using var ensemble = TowerEnsemble.Create([tower]);
        var got = ensemble.Score("机械键盘", ids);
        for (var i = 0; i < ids.Length; i++) Assert.Equal(alone[i], got[i], 5);
        Assert.Equal(tower.Nearest("机械键盘", 3).Select(n => n.ProductId), ensemble.Nearest("机械键盘", 3).Select(n => n.ProductId));
    }

    [Fact]
    public void AnEnsembleOfNoTowersIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => TowerEnsemble.Create([]));
        Assert.Contains("at least one tower", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_written_ensemble_names_its_members_relative_to_itself_and_reads_back_in_order()
    {
        using var a = Train(1, 4);
        using var b = Train(7, 4);
        string[] members = [_dir.File("s7-n4-d8"), _dir.File("s1-n4-d8")];
        var file = DenseModels.WriteEnsemble(_dir.File("ranker/deep"), members);

        Assert.Equal(members.Select(Path.GetFullPath), DenseModels.Members(_dir.File("ranker/deep")));
        // Relative names, so the ranker and its towers can be moved together.
        Assert.Contains("../../s7-n4-d8", File.ReadAllText(file), StringComparison.Ordinal);
        Assert.DoesNotContain(_dir.Path, File.ReadAllText(file), StringComparison.Ordinal);
        using var opened = Assert.IsType<TowerEnsemble>(DenseModels.Open(_dir.File("ranker/deep")));
    }

    [Fact]
    public void The_behaviour_folder_of_a_one_tower_ensemble_is_that_tower_and_of_several_is_refused()
    {
        using var a = Train(1, 4);
        using var b = Train(7, 4);
        DenseModels.WriteEnsemble(_dir.File("one"), [_dir.File("s1-n4-d8")]);
        DenseModels.WriteEnsemble(_dir.File("two"), [_dir.File("s1-n4-d8"), _dir.File("s7-n4-d8")]);

        Assert.Equal(Path.GetFullPath(_dir.File("s1-n4-d8")), DenseModels.BehaviourFolder(_dir.File("one")));
        Assert.Equal(_dir.File("s7-n4-d8"), DenseModels.BehaviourFolder(_dir.File("s7-n4-d8")));
        var e = Assert.Throws<InvalidDataException>(() => DenseModels.BehaviourFolder(_dir.File("two")));
        Assert.Contains("names 2 towers", e.Message, StringComparison.Ordinal);
    }
}
