using System.Diagnostics;
using System.Globalization;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Deep.Model;
using SearchRec.Deep.Onnx;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Text;
using SearchRec.Deep.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Deep.Tests;

/// <summary>The item tower's text input: export, parity, loading checks and training with a text model.</summary>
public sealed class ItemTextTests
{
    private static BagTower SideTower(int seed, int sideDim = 9)
    {
        var t = new BagTower("item_tower", 300, 12, 20, 8, sideDim);
        t.Initialize(new Random(seed));
        var rng = new Random(seed + 50);
        for (var i = 0; i < t.Ws.Length; i++) t.Ws[i] = (float)(rng.NextDouble() - 0.5);
        for (var i = 0; i < t.B1.Length; i++) t.B1[i] = (float)(rng.NextDouble() - 0.5) * 0.2f;
        return t;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void OnnxRuntimeOutputOfTheItemTowerWithTextMatchesTheTrainingForwardPass(int seed)
    {
        var tower = SideTower(seed);
        using var dir = new TempDir();
        var path = dir.File("item.onnx");
        File.WriteAllBytes(path, TowerExporter.Export(tower, "test", withSide: true));
        var textDim = tower.SideDim - 1;
        using var session = TowerSession.Open(path, new DeepScorerOptions(), tower.Output, textDim);

        var rng = new Random(seed * 13);
        const int batch = 6, length = 2;
        var ids = new long[batch * length];
        var w = new float[batch * length];
        var text = new float[batch * textDim];
        var has = new float[batch];
        for (var b = 0; b < batch; b++)
        {
            ids[b * length] = 1 + rng.Next(tower.Vocab - 1); ids[b * length + 1] = 1 + rng.Next(tower.Vocab - 1);
            w[b * length] = 1f; w[b * length + 1] = 1f;
            if (b % 3 == 0) continue; // no text: zeros and flag 0
            has[b] = 1f;
            for (var d = 0; d < textDim; d++) text[b * textDim + d] = (float)(rng.NextDouble() * 2 - 1);
        }
        w[5 * length] = 0f; w[5 * length + 1] = 0f; // a text-only (cold) item
        var ort = new float[batch * tower.Output];
        session.Encode(ids, w, text, has, batch, length, ort);

        var pooled = new float[tower.Dim]; var z1 = new float[tower.Hidden]; var h = new float[tower.Hidden]; var z2 = new float[tower.Output];
        var y = new float[tower.Output];
        var side = new float[tower.SideDim];
        for (var b = 0; b < batch; b++)
        {
            text.AsSpan(b * textDim, textDim).CopyTo(side);
            side[textDim] = has[b];
            tower.Forward(ids.AsSpan(b * length, length), w.AsSpan(b * length, length), side, pooled, z1, h, z2, y);
            for (var o = 0; o < tower.Output; o++)
                Assert.True(Math.Abs(y[o] - ort[b * tower.Output + o]) <= 1e-4, $"row {b} dim {o}: C# {y[o]} vs ORT {ort[b * tower.Output + o]}");
        }
    }

    [Fact]
    public void AnItemWithoutTextGetsTheSameVectorAsATowerWithoutATextInput()
    {
        var tower = SideTower(3);
        long[] ids = [5, 17];
        float[] w = [1f, 1f];
        var pooled = new float[tower.Dim]; var z1 = new float[tower.Hidden]; var h = new float[tower.Hidden]; var z2 = new float[tower.Output];
        var withZeros = new float[tower.Output];
        var plain = new float[tower.Output];
        tower.Forward(ids, w, new float[tower.SideDim], pooled, z1, h, z2, withZeros);
        tower.Forward(ids, w, pooled, z1, h, z2, plain);
        Assert.Equal(plain, withZeros);
    }

    [ExternalFact("/usr/bin/python3", "-c \"import onnx\"")]
    public void TheItemTowerWithTextPassesTheOfficialOnnxChecker()
    {
        var tower = SideTower(4);
        using var dir = new TempDir();
        var path = dir.File("item.onnx");
        File.WriteAllBytes(path, TowerExporter.Export(tower, "test", withSide: true));
        var printed = TowerTestKit.RunOnnxChecker(path, "m.opset_import[0].version, [i.name for i in m.graph.input], m.graph.input[2].type.tensor_type.shape.dim[0].dim_param, m.graph.input[2].type.tensor_type.shape.dim[1].dim_value");
        Assert.Equal("13 ['ids', 'weights', 'text', 'has_text'] batch 8", printed);
    }

    [Fact]
    public void LoadingRefusesATowerWhoseInputsDoNotMatchTheTextSettingNamingTheMismatch()
    {
        using var dir = new TempDir();
        var sidePath = dir.File("item.onnx");
        File.WriteAllBytes(sidePath, TowerExporter.Export(SideTower(5), "test", withSide: true));
        var plainTower = new BagTower("user_tower", 300, 12, 20, 8);
        plainTower.Initialize(new Random(5));
        var plainPath = dir.File("user.onnx");
        File.WriteAllBytes(plainPath, TowerExporter.Export(plainTower, "test"));

        var asUser = Assert.Throws<InvalidDataException>(() => TowerSession.Open(sidePath, new DeepScorerOptions(), 8));
        Assert.Contains("4 inputs", asUser.Message);
        Assert.Contains("exactly 'ids' and 'weights'", asUser.Message);
        var noText = Assert.Throws<InvalidDataException>(() => TowerSession.Open(plainPath, new DeepScorerOptions(), 8, textDim: 8));
        Assert.Contains("no input 'text'", noText.Message);
        var wrongWidth = Assert.Throws<InvalidDataException>(() => TowerSession.Open(sidePath, new DeepScorerOptions(), 8, textDim: 16));
        Assert.Contains("input 'text' has shape", wrongWidth.Message);
        Assert.Contains("[batch, 16]", wrongWidth.Message);
    }

    [Fact]
    public void TheSideProjectionGradientMatchesFiniteDifferences()
    {
        var t = SideTower(9, sideDim: 5);
        long[] ids = [3, 7];
        float[] w = [1f, 0.5f];
        float[] side = [0.3f, -0.6f, 0.2f, 0.9f, 1f];
        var dy = new float[] { 0.3f, -0.2f, 0.5f, 0.1f, -0.4f, 0.2f, 0.05f, -0.3f };
        float Objective()
        {
            var pp = new float[t.Dim]; var a = new float[t.Hidden]; var hh = new float[t.Hidden]; var b = new float[t.Output]; var yy = new float[t.Output];
            t.Forward(ids, w, side, pp, a, hh, b, yy);
            double s = 0; for (var i = 0; i < yy.Length; i++) s += yy[i] * dy[i];
            return (float)s;
        }
        var pooled = new float[t.Dim]; var z1 = new float[t.Hidden]; var h = new float[t.Hidden]; var z2 = new float[t.Output]; var y = new float[t.Output];
        var norm = t.Forward(ids, w, side, pooled, z1, h, z2, y);
        var g = new BagTower.DenseGrads(t);
        var dPooled = new float[t.Dim];
        t.Backward(pooled, z1, h, y, norm, dy, g, dPooled, new float[t.Output + 2 * t.Hidden]);
        t.BackwardSide(side, dPooled, g);
        const float eps = 1e-3f;
        for (var i = 0; i < t.Ws.Length; i += 2)
        {
            var keep = t.Ws[i];
            t.Ws[i] = keep + eps; var up = Objective();
            t.Ws[i] = keep - eps; var down = Objective();
            t.Ws[i] = keep;
            var numeric = (up - down) / (2 * eps);
            Assert.True(Math.Abs(numeric - g.Ws[i]) < 2e-3, $"ws {i}: numeric {numeric} vs analytic {g.Ws[i]}");
        }
    }

    private static readonly string[] Titles =
    [
        "红色连衣裙 夏季 女装", "碎花连衣裙 夏季 女装", "蓝牙耳机 无线 降噪", "头戴耳机 无线 降噪", "不锈钢保温杯 大容量", "保温杯 大容量 男",
        "机械键盘 青轴 游戏", "游戏键盘 红轴 机械", "电饭煲 智能 预约", "电饭锅 智能 预约",
    ];

    [Fact]
    public void WithATextModelTheItemTowerTakesTextAndColdCatalogItemsGetVectorsThatMatchOnnxRuntime()
    {
        using var dir = new TempDir();
        var products = Titles.Select((t, i) => Product.Of((i + 1).ToString(CultureInfo.InvariantCulture), t)).ToArray();
        var options = new DeepTrainingOptions
        {
            TextEpochs = 3, BehaviourEpochs = 3, BatchSize = 16, Threads = 2, SpansPerTitle = 4,
            Text = new TextFeaturizerOptions { Buckets = 2048 }, TextEmbeddingDim = 16, Hidden = 24, OutputDim = 8, BehaviourEmbeddingDim = 8,
            Behaviour = new BehaviourFeaturizerOptions { ItemBuckets = 512, CategoryBuckets = 16 },
        };
        DeepTraining.TrainText(products, [], dir.Path, options);
        // Events touch items 1-8 only; items 9 and 10 are in the catalog but cold.
        var events = new List<UserEvent>();
        for (var u = 0; u < 40; u++)
        {
            long ts = 0;
            for (var rep = 0; rep < 2; rep++)
                for (var k = 0; k < 4; k++)
                {
                    var item = 1 + (u % 2) * 4 + k;
                    events.Add(new UserEvent(u, item, item <= 4 ? 1 : 2, Behavior.View, ts += 5));
                }
        }
        DeepTraining.TrainBehaviour(events, dir.Path, options);
        var manifest = DeepModelManifest.Read(dir.Path);
        Assert.Equal(8, manifest.Behaviour!.ItemTextDim);
        var items = ItemVectors.Read(Path.Combine(dir.Path, "behaviour-item-vectors.bin"), Path.Combine(dir.Path, "behaviour-item-vectors.tsv"));
        Assert.Equal(10, items.Count);
        Assert.True(items.Index.ContainsKey("9") && items.Index.ContainsKey("10"));

        // The stored vectors are what the exported item tower computes from ids, categories and text vectors.
        var text = ItemVectors.Read(Path.Combine(dir.Path, "text-item-vectors.bin"), Path.Combine(dir.Path, "text-item-vectors.tsv"));
        using var session = TowerSession.Open(Path.Combine(dir.Path, "item-tower.onnx"), new DeepScorerOptions(), 8, text.Dim);
        var feat = new BehaviourFeaturizer(options.Behaviour);
        var ids = new long[2]; var w = new float[2];
        var sideText = new float[text.Dim]; var has = new float[1]; var ort = new float[8];
        foreach (var id in new[] { "2", "7", "9" })
        {
            var n = long.Parse(id, CultureInfo.InvariantCulture);
            if (id == "9") { ids[0] = 0; ids[1] = 0; w[0] = 0; w[1] = 0; }
            else { feat.ItemBag(n, n <= 4 ? 1 : 2, ids, w); }
            text.Row(text.Index[id]).CopyTo(sideText);
            has[0] = 1f;
            session.Encode(ids, w, sideText, has, 1, 2, ort);
            var stored = items.Row(items.Index[id]);
            for (var o = 0; o < 8; o++) Assert.True(Math.Abs(stored[o] - ort[o]) <= 1e-4, $"item {id} dim {o}: stored {stored[o]} vs ORT {ort[o]}");
        }
    }

    [Fact]
    public void EventIdsThatOnlyByChanceEqualCatalogIdsDoNotGiveTheItemTowerText()
    {
        using var dir = new TempDir();
        var products = Titles.Select((t, i) => Product.Of((i + 1).ToString(CultureInfo.InvariantCulture), t)).ToArray();
        var options = new DeepTrainingOptions
        {
            TextEpochs = 1, BehaviourEpochs = 1, BatchSize = 16, SpansPerTitle = 2,
            Text = new TextFeaturizerOptions { Buckets = 1024 }, TextEmbeddingDim = 8, Hidden = 16, OutputDim = 8, BehaviourEmbeddingDim = 8,
            Behaviour = new BehaviourFeaturizerOptions { ItemBuckets = 512, CategoryBuckets = 4 },
        };
        DeepTraining.TrainText(products, [], dir.Path, options);
        // 1 of 31 event items (id 3) equals a catalog id: below the 10 % needed, so no text is used.
        var events = new List<UserEvent>();
        for (var u = 0; u < 30; u++)
        {
            events.Add(new UserEvent(u, 3, 1, Behavior.View, 1));
            events.Add(new UserEvent(u, 5000 + u, 1, Behavior.View, 2));
        }
        var lines = new List<string>();
        DeepTraining.TrainBehaviour(events, dir.Path, options, lines.Add);
        Assert.Equal(0, DeepModelManifest.Read(dir.Path).Behaviour!.ItemTextDim);
        Assert.Contains(lines, l => l.Contains("only 1 of 31 event items have a text vector", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutATextModelTheItemTowerKeepsItsTwoInputs()
    {
        using var dir = new TempDir();
        var events = new List<UserEvent>();
        for (var u = 0; u < 20; u++)
            for (var k = 0; k < 4; k++) events.Add(new UserEvent(u, 100 + k, 1, Behavior.View, k + 1));
        var options = new DeepTrainingOptions
        {
            BehaviourEpochs = 1, BatchSize = 16, Hidden = 16, OutputDim = 8, BehaviourEmbeddingDim = 8,
            Behaviour = new BehaviourFeaturizerOptions { ItemBuckets = 256, CategoryBuckets = 4 },
        };
        DeepTraining.TrainBehaviour(events, dir.Path, options);
        Assert.Equal(0, DeepModelManifest.Read(dir.Path).Behaviour!.ItemTextDim);
        using var session = TowerSession.Open(Path.Combine(dir.Path, "item-tower.onnx"), new DeepScorerOptions(), 8);
        Assert.Equal(0, session.TextDim);
    }
}
