using SearchRec.Core;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Training;
using SearchRec.Testing;
using SearchRec.Deep.Text;
using Xunit;

namespace SearchRec.Deep.Tests;

public sealed class CatalogCoverTests
{
    private static readonly Product[] Trained =
    [
        Product.Of("1", "红色连衣裙 夏季"), Product.Of("2", "蓝牙耳机 无线"), Product.Of("3", "不锈钢保温杯"),
        Product.Of("4", "男士 运动鞋 跑步"), Product.Of("5", "儿童 积木 玩具"),
    ];

    private static string Tower(TempDir dir)
    {
        var options = new DeepTrainingOptions { TextEpochs = 1, BatchSize = 4, Text = new TextFeaturizerOptions { Buckets = 1024 }, TextEmbeddingDim = 8, Hidden = 8, OutputDim = 4 };
        DeepTraining.TrainText(Trained, [], dir.Path, options);
        return dir.Path;
    }

    private static Func<IEnumerable<KeyValuePair<string, string>>> Catalog(params (string Id, string Title)[] products) =>
        () => products.Select(p => KeyValuePair.Create(p.Id, p.Title));

    [Fact]
    public void Products_added_or_retitled_since_training_are_scored_with_the_vector_the_tower_gives_their_title()
    {
        using var dir = new TempDir();
        var models = Tower(dir);
        var logged = new List<string>();
        var options = new DeepScorerOptions { Log = logged.Add }.Covering(Catalog(
            ("1", "红色连衣裙 夏季"), ("2", "智能手表 运动"), ("3", "不锈钢保温杯"), ("4", "男士 运动鞋 跑步"), ("5", "儿童 积木 玩具"), ("9", "蓝牙耳机 无线 降噪")));
        using var stored = DeepScorer.Open(models);
        using var covered = DeepScorer.Open(models, options);

        Assert.False(stored.Contains("9"));
        Assert.True(covered.Contains("9"));
        Assert.Equal(6, covered.ItemCount);
        // Each row is the title encoded as a query is; untouched rows keep the stored vector.
        foreach (var (id, title) in new[] { ("9", "蓝牙耳机 无线 降噪"), ("2", "智能手表 运动") })
            Assert.Equal(1f, covered.Score(title, [id])[0], 4);
        Assert.NotEqual(stored.Score("智能手表 运动", ["2"])[0], covered.Score("智能手表 运动", ["2"])[0]);
        Assert.Equal(stored.Score("连衣裙", ["1", "3", "4", "5"]), covered.Score("连衣裙", ["1", "3", "4", "5"]));
        Assert.Equal([$"deep: the tower in {models} encoded 2 products it was not trained on (1 new, 1 retitled since train-deep)"], logged);
    }

    [Fact]
    public void A_tower_of_another_catalog_is_not_covered_so_the_catalog_check_still_refuses_it()
    {
        using var dir = new TempDir();
        var models = Tower(dir);
        var other = new (string Id, string Title)[] { ("1", "手环 智能"), ("2", "运动鞋"), ("3", "咖啡豆 阿拉比卡"), ("4", "口红 哑光"), ("5", "蓝牙耳机 无线") };
        using var covered = DeepScorer.Open(models, new DeepScorerOptions { Log = _ => { } }.Covering(Catalog(other)));

        Assert.Equal(5, covered.ItemCount);
        var titles = other.ToDictionary(p => p.Id, p => p.Title);
        Assert.StartsWith("the text tower in deep was trained on another catalog", DenseModels.CatalogMismatch(covered, id => titles.GetValueOrDefault(id), "deep"), StringComparison.Ordinal);
    }

    [Fact]
    public void Covered_items_keep_the_hubness_correction_of_the_stored_ones_and_new_ones_get_none()
    {
        using var dir = new TempDir();
        var models = Tower(dir);
        HubnessCorrection.Compute(models, ["连衣裙", "耳机", "保温杯", "运动鞋", "积木"], new HubnessOptions { K = 2, Factor = 0.5f, Threads = 1 });
        using var stored = DeepScorer.Open(models);
        using var covered = DeepScorer.Open(models, new DeepScorerOptions { Log = _ => { } }.Covering(Catalog(
            ("1", "红色连衣裙 夏季"), ("2", "蓝牙耳机 无线"), ("3", "不锈钢保温杯"), ("4", "男士 运动鞋 跑步"), ("5", "儿童 积木 玩具"), ("9", "陶瓷 马克杯"))));

        Assert.NotNull(covered.Hubness);
        Assert.Equal(stored.Score("保温杯", ["1", "2", "3", "4", "5"]), covered.Score("保温杯", ["1", "2", "3", "4", "5"]));
        Assert.Equal(1f, covered.Score("陶瓷 马克杯", ["9"])[0], 4);
    }

    [Fact]
    public void An_ensemble_covers_the_catalog_through_each_of_its_towers()
    {
        using var dir = new TempDir();
        foreach (var (name, seed) in new[] { ("t1", 1), ("t2", 2) })
            DeepTraining.TrainText(Trained, [], dir.File(name), new DeepTrainingOptions { TextEpochs = 1, BatchSize = 4, Text = new TextFeaturizerOptions { Buckets = 1024 }, TextEmbeddingDim = 8, Hidden = 8, OutputDim = 4, Seed = seed });
        var ens = dir.File("ens");
        DenseModels.WriteEnsemble(ens, [dir.File("t1"), dir.File("t2")]);
        var catalog = Catalog([.. Trained.Select(p => (p.Id, p.Title)), ("9", "蓝牙耳机 无线 降噪")]);

        var covered = DenseModels.Open(ens, new DeepScorerOptions { Log = _ => { } }.Covering(catalog));
        try
        {
            Assert.True(covered.Contains("9"));
            Assert.Equal(1f, covered.Score("蓝牙耳机 无线 降噪", ["9"])[0], 4);
        }
        finally
        {
            (covered as IDisposable)?.Dispose();
        }
    }
}
