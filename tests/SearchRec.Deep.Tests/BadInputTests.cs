using SearchRec.Core;
using SearchRec.Deep.Model;
using SearchRec.Deep.Onnx;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Text;
using SearchRec.Deep.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Deep.Tests;

public sealed class BadInputTests
{
    private static string TinyModel(TempDir dir)
    {
        var products = new[] { Product.Of("1", "红色连衣裙 夏季"), Product.Of("2", "蓝牙耳机 无线"), Product.Of("3", "不锈钢保温杯") };
        var options = new DeepTrainingOptions { TextEpochs = 1, BatchSize = 4, Text = new TextFeaturizerOptions { Buckets = 1024 }, TextEmbeddingDim = 8, Hidden = 8, OutputDim = 4 };
        DeepTraining.TrainText(products, [], dir.Path, options);
        return dir.Path;
    }

    [Fact]
    public void AnEmptyOnnxFileIsRefusedWithAMessageSayingItIsEmpty()
    {
        using var dir = new TempDir();
        var path = dir.Write("empty.onnx", "");
        var e = Assert.Throws<InvalidDataException>(() => TowerSession.Open(path, new DeepScorerOptions(), null));
        Assert.Contains("empty", e.Message);
        Assert.Contains("empty.onnx", e.Message);
    }

    [Fact]
    public void ACorruptOnnxFileIsRefusedWithAMessageNamingTheFile()
    {
        using var dir = new TempDir();
        var path = dir.File("corrupt.onnx");
        File.WriteAllBytes(path, [0x08, 0x07, 0x12, 0xFF, 0xFF, 0x01, 0x02, 0x03, 0x42]);
        var e = Assert.Throws<InvalidDataException>(() => TowerSession.Open(path, new DeepScorerOptions(), null));
        Assert.Contains("corrupt.onnx", e.Message);
        Assert.Contains("not a readable ONNX model", e.Message);
    }

    [Fact]
    public void AUserModelWhoseOutputDimDiffersFromTheItemVectorsIsRefusedNamingTheMismatch()
    {
        using var dir = new TempDir();
        var models = TinyModel(dir);
        var other = new BagTower("other", 1024, 8, 8, 6);
        other.Initialize(new Random(1));
        var path = dir.File("other.onnx");
        File.WriteAllBytes(path, TowerExporter.Export(other, "x"));
        var e = Assert.Throws<InvalidDataException>(() => TowerSession.Open(path, new DeepScorerOptions(), 4));
        Assert.Contains("dim 6", e.Message);
        Assert.Contains("dim 4", e.Message);
    }

    [Fact]
    public void AModelWithoutTheDocumentedInputsIsRefusedNamingTheMissingInput()
    {
        using var dir = new TempDir();
        // A valid ONNX model (Relu of 'x') that lacks 'ids'/'weights'.
        var graph = new ProtoWriter()
            .Message(1, OnnxProto.Node("Relu", "r", ["x"], ["y"]))
            .String(2, "g")
            .Message(11, OnnxProto.ValueInfo("x", OnnxProto.ElemFloat, "batch", 4L))
            .Message(12, OnnxProto.ValueInfo("y", OnnxProto.ElemFloat, "batch", 4L));
        var model = new ProtoWriter().Int64(1, 7).Message(7, graph).Message(8, new ProtoWriter().Int64(2, 13));
        var path = dir.File("relu.onnx");
        File.WriteAllBytes(path, model.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => TowerSession.Open(path, new DeepScorerOptions(), null));
        Assert.Contains("no input 'ids'", e.Message);
        Assert.Contains("x", e.Message);
    }

    [Fact]
    public void AUsersOwnTowerWithTheDocumentedInputsReplacesOursAndItemVectorsAreRecomputed()
    {
        using var dir = new TempDir();
        var models = TinyModel(dir);
        var mine = new BagTower("mine", 1024, 8, 8, 5);
        mine.Initialize(new Random(5));
        var path = dir.File("mine.onnx");
        File.WriteAllBytes(path, TowerExporter.Export(mine, "user model"));
        var logs = new List<string>();
        using var scorer = DeepScorer.Open(models, new DeepScorerOptions { TextTowerPath = path, Log = logs.Add });
        Assert.Equal(5, scorer.Dimension);
        Assert.Equal(3, scorer.ItemCount);
        Assert.Contains(logs, l => l.Contains("mine.onnx"));
        var scores = scorer.Score("连衣裙", ["1", "2", "3"]);
        Assert.All(scores, s => Assert.InRange(s, -1.0001f, 1.0001f));
    }

    [Fact]
    public void AQueryOfTenThousandCharactersIsTruncatedNotACrash()
    {
        using var dir = new TempDir();
        var models = TinyModel(dir);
        using var scorer = DeepScorer.Open(models);
        var query = string.Concat(Enumerable.Repeat("连衣裙红色夏季新款", 1112))[..10_000];
        var v = scorer.EncodeQuery(query);
        Assert.Equal(1f, MathF.Sqrt(v.Sum(x => x * x)), 3);
        var featurizer = new TextFeaturizer(new TextFeaturizerOptions());
        Assert.Equal(featurizer.Options.MaxIds, featurizer.Featurize(query).Length);
        Assert.Equal(3, scorer.Nearest(query, 10).Count);
    }

    [Fact]
    public void AnEmptyQueryScoresWithoutError()
    {
        using var dir = new TempDir();
        using var scorer = DeepScorer.Open(TinyModel(dir));
        var scores = scorer.Score("", ["1", "2", "404"]);
        Assert.Equal(0f, scores[2]);
        Assert.All(scores, s => Assert.False(float.IsNaN(s)));
    }

    [Fact]
    public void TheCudaOptionFallsBackToCpuWithOneLogLineWhenNoGpuBuildIsPresent()
    {
        using var dir = new TempDir();
        var models = TinyModel(dir);
        var logs = new List<string>();
        var options = new DeepScorerOptions { ExecutionProvider = ExecutionProvider.Cuda, Log = logs.Add };
        using var scorer = DeepScorer.Open(models, options);
        var line = Assert.Single(logs);
        Assert.Contains("CUDA", line);
        Assert.Contains("CPU", line);
        Assert.Equal(scorer.Dimension, scorer.EncodeQuery("耳机").Length);
        // The same options opening towers again, as a service's reload does: said once, not each time.
        using var again = DeepScorer.Open(models, options);
        Assert.Single(logs);
    }

    [Fact]
    public void BadOptionsAreRefusedNamingTheField()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DeepTrainingOptions { BatchSize = 1 }.Validate());
        Assert.Contains("BatchSize", e.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => new TextFeaturizerOptions { Buckets = 3 }.Validate());
        Assert.Contains("Buckets", e2.Message);
        Assert.Throws<ArgumentException>(() => DeepScorerOptions.ParseProvider("tpu"));
    }

    [Fact]
    public void AMissingManifestGivesAMessageSayingHowToTrain()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => DeepScorer.Open(dir.Path));
        Assert.Contains("train-deep", e.Message);
    }

    [Fact]
    public void A_text_tower_is_checked_against_the_catalog_it_scores_by_the_titles_it_encoded()
    {
        using var dir = new TempDir();
        using var scorer = DeepScorer.Open(TinyModel(dir));
        var own = new Dictionary<string, string> { ["1"] = "红色连衣裙 夏季", ["2"] = "蓝牙耳机 无线", ["3"] = "不锈钢保温杯" };
        Assert.Null(DenseModels.CatalogMismatch(scorer, id => own.GetValueOrDefault(id), "deep"));
        // A grown catalog: items the tower never saw do not count against it, nor does one it lacks.
        Assert.Null(DenseModels.CatalogMismatch(scorer, id => id == "3" ? null : own.GetValueOrDefault(id), "deep"));

        var other = new Dictionary<string, string> { ["1"] = "手环 智能", ["2"] = "蓝牙耳机 无线", ["3"] = "运动鞋" };
        var message = DenseModels.CatalogMismatch(scorer, id => other.GetValueOrDefault(id), "deep");
        Assert.StartsWith("the text tower in deep was trained on another catalog: of 3 of its items in this one, 1 carry the title it encoded (item 1 is '红色连衣裙 夏季' in the tower and '手环 智能' in the catalog)", message, StringComparison.Ordinal);
        Assert.StartsWith("the text tower in deep was trained on another catalog: none of 3 of its items is in this one.", DenseModels.CatalogMismatch(scorer, _ => null, "deep"), StringComparison.Ordinal);
    }

    [Fact]
    public void Text_tower_settings_edited_by_hand_in_the_manifest_are_refused_and_a_manifest_from_before_the_check_still_opens()
    {
        using var dir = new TempDir();
        var path = Path.Combine(TinyModel(dir), DeepModelManifest.FileName);
        var written = File.ReadAllText(path);
        Assert.Contains("\"settings\"", written, StringComparison.Ordinal);
        using (DeepScorer.Open(dir.Path)) { }

        foreach (var edit in new Action<System.Text.Json.Nodes.JsonObject>[]
        {
            t => t["buckets"] = t["buckets"]!.GetValue<int>() - 24,
            t => t["words"] = !t["words"]!.GetValue<bool>(),
            t => t["dim"] = 32,
        })
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(written)!;
            edit(node["text"]!.AsObject());
            File.WriteAllText(path, node.ToJsonString());
            var e = Assert.Throws<InvalidDataException>(() => DeepScorer.Open(dir.Path));
            Assert.Contains("the text tower's settings", e.Message, StringComparison.Ordinal);
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
        }

        // Written before the settings hash existed: nothing to check against.
        var old = System.Text.Json.Nodes.JsonNode.Parse(written)!;
        old["text"]!.AsObject().Remove("settings");
        File.WriteAllText(path, old.ToJsonString());
        using (DeepScorer.Open(dir.Path)) { }
    }

    [Fact]
    public void Text_settings_out_of_range_in_a_manifest_from_before_the_check_are_refused_naming_it()
    {
        using var dir = new TempDir();
        var path = Path.Combine(TinyModel(dir), DeepModelManifest.FileName);
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        node["text"]!.AsObject().Remove("settings");
        node["text"]!["buckets"] = 0;
        File.WriteAllText(path, node.ToJsonString());

        var e = Assert.Throws<InvalidDataException>(() => DeepScorer.Open(dir.Path));
        Assert.StartsWith($"'{path}': ", e.Message, StringComparison.Ordinal);
        Assert.Contains("Buckets", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_manifest_of_another_format_version_is_refused_and_one_without_a_version_opens_as_1()
    {
        using var dir = new TempDir();
        var path = Path.Combine(TinyModel(dir), DeepModelManifest.FileName);
        var written = File.ReadAllText(path);

        var other = System.Text.Json.Nodes.JsonNode.Parse(written)!;
        other["format"] = 2;
        File.WriteAllText(path, other.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => DeepScorer.Open(dir.Path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("format 2", e.Message, StringComparison.Ordinal);

        var none = System.Text.Json.Nodes.JsonNode.Parse(written)!;
        none.AsObject().Remove("format");
        File.WriteAllText(path, none.ToJsonString());
        using (DeepScorer.Open(dir.Path)) { }
    }
}
