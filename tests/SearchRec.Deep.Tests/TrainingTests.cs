using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Deep.Model;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Text;
using SearchRec.Deep.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Deep.Tests;

public sealed class TrainingTests
{
    private static readonly string[] Titles =
    [
        "红色连衣裙 夏季 女装", "蓝牙耳机 无线 降噪", "不锈钢保温杯 大容量", "儿童运动鞋 透气", "机械键盘 青轴 游戏",
        "纯棉T恤 男 短袖", "电饭煲 智能 预约", "真丝围巾 女 春秋", "登山背包 户外 防水", "陶瓷茶具 套装 功夫",
        "瑜伽垫 加厚 防滑", "婴儿奶瓶 玻璃 宽口", "笔记本电脑 支架 铝合金", "钢化膜 手机 全屏", "宠物猫粮 成猫 鱼味",
        "羽绒服 男 加厚 冬季",
    ];

    private static DeepTrainingOptions Small(int epochs, int threads = 2) => new()
    {
        TextEpochs = epochs, BatchSize = 16, Threads = threads, SpansPerTitle = 12,
        Text = new TextFeaturizerOptions { Buckets = 4096 }, TextEmbeddingDim = 16, Hidden = 32, OutputDim = 16,
        LearningRate = 5e-3f, EmbeddingLearningRate = 2e-2f,
    };

    private static Product[] Products() => Titles.Select((t, i) => Product.Of((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), t)).ToArray();

    [Fact]
    public void TrainingOnATinyCatalogLowersTheLossAndRanksTheRightTitleFirstForATrainingPair()
    {
        using var dir = new TempDir();
        (string, string)[] judged = [("降噪耳机", "2"), ("游戏键盘", "5"), ("保温水杯", "3")];
        var report = DeepTraining.TrainText(Products(), judged, dir.Path, Small(epochs: 25));
        Assert.True(report.EpochLoss[^1] < report.EpochLoss[0] * 0.5, $"loss {report.EpochLoss[0]:F3} -> {report.EpochLoss[^1]:F3}");
        Assert.Null(DeepModelManifest.Read(dir.Path).Text!.BucketWeights); // IDF weights are off by default
        using var scorer = DeepScorer.Open(dir.Path);
        Assert.Equal("2", scorer.Nearest("降噪耳机", 3)[0].ProductId);
        Assert.Equal("5", scorer.Nearest("游戏键盘", 3)[0].ProductId);
        var scores = scorer.Score("降噪耳机", ["1", "2", "3"]);
        Assert.True(scores[1] > scores[0] && scores[1] > scores[2]);
    }

    [Fact]
    public void ANewModelFoldsTraditionalQueriesAndOneTrainedBeforeTheOptionIsServedWithoutIt()
    {
        using var dir = new TempDir();
        DeepTraining.TrainText(Products(), [], dir.Path, Small(epochs: 1));
        Assert.True(DeepModelManifest.Read(dir.Path).Text!.FoldTraditional);
        string[] ids = ["1", "5", "9"];
        using (var scorer = DeepScorer.Open(dir.Path))
            Assert.Equal(scorer.EncodeQuery("机械键盘"), scorer.EncodeQuery("機械鍵盤"));

        // A manifest from before the option: the model saw traditional characters as they are, so they stay.
        var file = Path.Combine(dir.Path, DeepModelManifest.FileName);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        Assert.True(json["text"]!.AsObject().Remove("foldTraditional"));
        Assert.True(json["text"]!.AsObject().Remove("settings"));   // nor had it the settings hash, which came later still
        File.WriteAllText(file, json.ToJsonString());
        Assert.Null(DeepModelManifest.Read(dir.Path).Text!.FoldTraditional);
        using var old = DeepScorer.Open(dir.Path);
        Assert.NotEqual(old.EncodeQuery("机械键盘"), old.EncodeQuery("機械鍵盤"));
        Assert.Equal(3, old.Score("機械鍵盤", ids).Length);
    }

    [Fact]
    public void TheTermScoreIsOneWhenTheTitleHoldsEveryQueryWordAndLowerWhenOneIsMissing()
    {
        using var dir = new TempDir();
        DeepTraining.TrainText(Products(), [], dir.Path, Small(epochs: 2));
        using var tower = DeepScorer.Open(dir.Path);
        var terms = new TermMatchScorer(tower);
        // Product 5 is "机械键盘 青轴 游戏", product 1 "红色连衣裙 夏季 女装".
        var s = terms.Score("机械键盘 游戏", ["5", "1", "no-such-product"]);
        Assert.Equal(1f, s[0], 4);
        Assert.True(s[1] < 0.999f, $"a title without the words scored {s[1]}");
        Assert.Equal(0f, s[2]);
        Assert.Equal(s, terms.Score("機械鍵盤 遊戲", ["5", "1", "no-such-product"]));
        var partial = terms.Score("机械键盘 连衣裙", ["5"])[0];
        Assert.InRange(partial, s[1], 0.999f);
        Assert.Equal([0f], terms.Score("，。", ["5"]));
    }

    [Fact]
    public void TheFeaturizerGivesATraditionalTextTheIdsOfItsSimplifiedTwinUnlessFoldingIsOff()
    {
        var on = new TextFeaturizer(new TextFeaturizerOptions { Buckets = 4096 }, new SearchRec.Text.ChineseTokenizer());
        Assert.Equal(on.Featurize("电竞平板键盘滑鼠"), on.Featurize("電競平板鍵盤滑鼠"));
        var off = new TextFeaturizer(new TextFeaturizerOptions { Buckets = 4096, FoldTraditional = false }, new SearchRec.Text.ChineseTokenizer());
        Assert.NotEqual(off.Featurize("电竞平板键盘滑鼠"), off.Featurize("電競平板鍵盤滑鼠"));
        Assert.Equal(off.Featurize("电竞平板键盘滑鼠"), on.Featurize("电竞平板键盘滑鼠"));
    }

    [Fact]
    public void AFixedSeedGivesTheSameModelWhateverTheThreadCount()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        DeepTraining.TrainText(Products(), [], a.Path, Small(epochs: 2, threads: 1));
        DeepTraining.TrainText(Products(), [], b.Path, Small(epochs: 2, threads: 2));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, "text-item-vectors.bin")), File.ReadAllBytes(Path.Combine(b.Path, "text-item-vectors.bin")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, "text-tower.onnx")), File.ReadAllBytes(Path.Combine(b.Path, "text-tower.onnx")));
    }

    [Fact]
    public void StoredItemVectorsMatchWhatOnnxRuntimeComputesFromTheTitles()
    {
        using var dir = new TempDir();
        var options = Small(epochs: 1);
        options.IdfWeights = true;
        DeepTraining.TrainText(Products(), [], dir.Path, options);
        var items = ItemVectors.Read(Path.Combine(dir.Path, "text-item-vectors.bin"), Path.Combine(dir.Path, "text-item-vectors.tsv"));
        using var session = TowerSession.Open(Path.Combine(dir.Path, "text-tower.onnx"), new DeepScorerOptions(), items.Dim);
        var ort = new float[items.Data.Length];
        var manifest = DeepModelManifest.Read(dir.Path);
        Assert.NotNull(manifest.Text!.BucketWeights);
        var idf = DeepScorer.ReadBucketWeights(dir.Path, manifest.Text);
        DeepScorer.EncodeTexts(session, new TextFeaturizer(new TextFeaturizerOptions { Buckets = 4096 }, null, idf), items.Texts, ort);
        for (var i = 0; i < ort.Length; i++) Assert.True(Math.Abs(ort[i] - items.Data[i]) <= 1e-4, $"element {i}");
    }

    [Fact]
    public void TheBehaviourTowersLearnToPredictTheNextItemOfARepeatedSequence()
    {
        // Users cycle through item sequences 10→11→12→13 or 20→21→22→23 (categories 1 and 2).
        var events = new List<UserEvent>();
        var rng = new Random(3);
        for (var u = 0; u < 120; u++)
        {
            var group = u % 2 == 0 ? 10 : 20;
            long ts = 1000;
            for (var rep = 0; rep < 4; rep++)
                for (var k = 0; k < 4; k++)
                    events.Add(new UserEvent(u, group + k, group / 10, Behavior.View, ts += 1 + rng.Next(5)));
        }
        using var dir = new TempDir();
        var options = new DeepTrainingOptions
        {
            BehaviourEpochs = 8, BatchSize = 32, BehaviourEmbeddingDim = 16, Hidden = 32, OutputDim = 16,
            Behaviour = new BehaviourFeaturizerOptions { ItemBuckets = 1024, CategoryBuckets = 16 },
        };
        var report = DeepTraining.TrainBehaviour(events, dir.Path, options);
        Assert.True(report.EpochLoss[^1] < report.EpochLoss[0]);
        using var scorer = BehaviourScorer.Open(dir.Path);
        // The newest event learnt from is recorded, for eval's check against its queries' times.
        Assert.Equal(events.Max(e => e.Timestamp), scorer.LastTimestamp);
        UserEvent[] history = [new(999, 20, 2, Behavior.View, 1), new(999, 21, 2, Behavior.View, 2)];
        Assert.Equal("22", scorer.Nearest(scorer.EncodeUser(history), 1)[0].ItemId);
        UserEvent[] other = [new(998, 11, 1, Behavior.View, 1), new(998, 12, 1, Behavior.View, 2)];
        Assert.Equal("13", scorer.Nearest(scorer.EncodeUser(other), 1)[0].ItemId);
        // Recommend sorts by time and collapses repeats itself, as eval-rec hands it raw histories.
        UserEvent[] shuffled = [new(998, 12, 1, Behavior.View, 2), new(998, 11, 1, Behavior.View, 1), new(998, 12, 1, Behavior.View, 3)];
        var viaRecommend = scorer.Recommend(shuffled, 3);
        var direct = scorer.Nearest(scorer.EncodeUser(other), 3);
        Assert.Equal(direct.Select(d => d.ItemId), viaRecommend.Select(r => r.ItemId));
        Assert.Equal("13", viaRecommend[0].ItemId);
    }

    [Fact]
    public void BehaviourEvaluationFindsTheNextItemsOfTestUsersAfterTheCut()
    {
        var events = new List<UserEvent>();
        for (var u = 0; u < 80; u++)
        {
            var group = u % 2 == 0 ? 10 : 20;
            long ts = 0;
            for (var rep = 0; rep < 3; rep++)
                for (var k = 0; k < 4; k++)
                    events.Add(new UserEvent(u, group + k, group / 10, Behavior.View, ts += 10));
        }
        // After the cut (t = 1000) every user views the item that follows their last one.
        for (var u = 0; u < 80; u++) events.Add(new UserEvent(u, (u % 2 == 0 ? 10 : 20), u % 2 == 0 ? 1 : 2, Behavior.View, 1000 + u));
        events.Add(new UserEvent(0, 99, 1, Behavior.View, 2000)); // an item nobody touched before the cut
        using var dir = new TempDir();
        var options = new DeepTrainingOptions
        {
            BehaviourEpochs = 8, BatchSize = 32, BehaviourEmbeddingDim = 16, Hidden = 32, OutputDim = 16,
            Behaviour = new BehaviourFeaturizerOptions { ItemBuckets = 1024, CategoryBuckets = 16 },
        };
        DeepTraining.TrainBehaviour(events.Where(e => e.Timestamp < 1000).ToList(), dir.Path, options);
        using var scorer = BehaviourScorer.Open(dir.Path);
        var all = BehaviourEvaluation.Run(scorer, events, 1000, [1, 4]);
        Assert.Equal(80, all.Users);
        Assert.True(all.Rows[0].HitRate > 0.9, $"HR@1 {all.Rows[0].HitRate}");
        var cold = all.Segments.Single(x => x.Segment == "cold" && x.K == 1);
        Assert.Equal(1, cold.Users); // only user 0 has a cold truth item; without text it has no vector
        Assert.Equal(0, cold.HitRate);
        Assert.Equal(1, all.Segments.Single(x => x.Segment == "rare" && x.K == 4).Users); // items 10 and 20 have many events
        var some = BehaviourEvaluation.Run(scorer, events, 1000, [1], new HashSet<long> { 0, 1, 2 });
        Assert.Equal(3, some.Users);
    }

    [Fact]
    public void AHardNegativeJoinsEveryRowsSoftmaxUnlessItIsThatRowsPositive()
    {
        var tower = new BagTower("t", 64, 8, 12, 8);
        tower.Initialize(new Random(1));
        var trainer = new TwoTowerTrainer(tower, tower, new TrainerOptions { BatchSize = 4, Threads = 1 });
        Bag B(params long[] ids) => new(ids, ids.Select(_ => 1f).ToArray());
        PairExample[] plain = [new(B(1, 2), B(3, 4), 0), new(B(5, 6), B(7, 8), 1), new(B(9, 10), B(11, 12), 2)];
        var basis = trainer.Loss(plain);
        // Row 0's negative is a copy of row 1's positive title under another key: every row gets one more negative.
        var withNegative = (PairExample[])plain.Clone();
        withNegative[0] = plain[0] with { Negative = B(7, 8), NegativeKey = 9 };
        Assert.True(trainer.Loss(withNegative) > basis + 1e-6, "an extra negative must raise the loss");
        // A negative with row 1's own key is masked for row 1 only.
        var sameKey = (PairExample[])plain.Clone();
        sameKey[0] = plain[0] with { Negative = B(7, 8), NegativeKey = 1 };
        var masked = trainer.Loss(sameKey);
        Assert.True(masked > basis && masked < trainer.Loss(withNegative), $"basis {basis}, masked {masked}");
    }
}
