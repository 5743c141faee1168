using System.Text.Json;
using System.Text.Json.Serialization;

namespace SearchRec.Deep;

/// <summary>
/// <c>deep-model.json</c> in a models directory: which tower files exist and the featurizer settings serving
/// must reproduce. Written by <c>searchrec train-deep</c>.
/// </summary>
public sealed class DeepModelManifest
{
    /// <summary>The manifest's file name.</summary>
    public const string FileName = "deep-model.json";

    /// <summary>Format version (1).</summary>
    public int Format { get; set; } = CurrentFormat;

    // The manifest format this build writes and reads.
    private const int CurrentFormat = 1;

    /// <summary>ONNX opset of the exported towers.</summary>
    public int Opset { get; set; } = Onnx.TowerExporter.Opset;

    /// <summary>The text model, or null when none was trained.</summary>
    public TextModelInfo? Text { get; set; }

    /// <summary>The behaviour model, or null when none was trained.</summary>
    public BehaviourModelInfo? Behaviour { get; set; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Reads the manifest of a models directory; throws naming the file when it is missing or bad.</summary>
    public static DeepModelManifest Read(string modelsDir)
    {
        var path = Path.Combine(modelsDir, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist; train a model with 'searchrec train-deep' first.", path);
        DeepModelManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<DeepModelManifest>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"'{path}' is empty.");
        }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not a valid deep-model manifest: {e.Message}", e); }
        // A manifest of another format (a later build's) would be read as this one's without a word.
        if (manifest.Format != CurrentFormat)
            throw new InvalidDataException($"'{path}' is a deep-model manifest of format {manifest.Format}; this build reads format {CurrentFormat}. Retrain with this build's 'searchrec train-deep'.");
        // A tower reads its input as it was trained: settings edited by hand would change every score without an error.
        if (manifest.Text is { Settings: { } text } t && text != t.SettingsHash())
            throw new InvalidDataException($"'{path}': the text tower's settings (buckets, maxChars, maxIds, bucketWeights, pooling, foldTraditional, words, dim) are not those it was trained with; put them back as train-deep wrote them, or retrain it.");
        if (manifest.Behaviour is { Settings: { } behaviour } b && behaviour != b.SettingsHash())
            throw new InvalidDataException($"'{path}': the behaviour towers' settings (itemBuckets, categoryBuckets, historyLength, halfLife, dim, itemTextDim) are not those they were trained with; put them back as train-deep wrote them, or retrain them.");
        return manifest;
    }

    /// <summary>Writes the manifest into a models directory.</summary>
    public void Write(string modelsDir)
    {
        if (Text is not null) Text.Settings = Text.SettingsHash();
        if (Behaviour is not null) Behaviour.Settings = Behaviour.SettingsHash();
        File.WriteAllText(Path.Combine(modelsDir, FileName), JsonSerializer.Serialize(this, Json));
    }

    internal static string Hash(string settings) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(settings)))[..16];
}

/// <summary>The text two-tower model (one tower shared by queries and titles).</summary>
public sealed class TextModelInfo
{
    /// <summary>The tower's ONNX file, relative to the models directory.</summary>
    public string Tower { get; set; } = "text-tower.onnx";
    /// <summary>Item vectors file (<c>.bin</c>) and its id list (<c>.tsv</c>), without extension.</summary>
    public string ItemVectors { get; set; } = "text-item-vectors";
    /// <summary>Hash buckets of the featurizer.</summary>
    public int Buckets { get; set; }
    /// <summary>Characters read per text.</summary>
    public int MaxChars { get; set; }
    /// <summary>Ids produced per text at most.</summary>
    public int MaxIds { get; set; }
    /// <summary>
    /// Per-bucket input weights (catalog IDF), relative to the models directory: <c>SRBW</c>, int32 version 1, int32
    /// count, then float32 weights. Null: every id weighs 1 (models trained before IDF weights, or with them off).
    /// </summary>
    public string? BucketWeights { get; set; }
    /// <summary>Pooling of the tower's bag (<c>mean</c>, <c>sqrt</c>, <c>max</c>, <c>attention</c>); informative, the ONNX graph carries it. Null in older manifests (mean).</summary>
    public string? Pooling { get; set; }
    /// <summary>
    /// Whether the featurizer folded traditional Chinese characters to simplified ones
    /// (<see cref="Text.TextFeaturizerOptions.FoldTraditional"/>). Null in manifests written before the option
    /// existed: those models were trained without it, and are served without it.
    /// </summary>
    public bool? FoldTraditional { get; set; }
    /// <summary>True when segmented words were part of the input (the same tokenizer is needed at serving).</summary>
    public bool Words { get; set; }
    /// <summary>Output dimension.</summary>
    public int Dim { get; set; }
    /// <summary>Seconds the training took (featurizing, epochs, export).</summary>
    public double TrainSeconds { get; set; }

    /// <summary>
    /// A hash of the settings that shape the tower's input and output, written by <see cref="DeepModelManifest.Write"/>
    /// and checked by <see cref="DeepModelManifest.Read"/>; null in files written before it.
    /// </summary>
    public string? Settings { get; set; }

    internal string SettingsHash() => DeepModelManifest.Hash(string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"text|{Buckets}|{MaxChars}|{MaxIds}|{BucketWeights}|{Pooling}|{FoldTraditional}|{Words}|{Dim}"));
}

/// <summary>The behaviour two-tower model (user tower over recent history, item tower over id and category).</summary>
public sealed class BehaviourModelInfo
{
    /// <summary>User tower ONNX file.</summary>
    public string UserTower { get; set; } = "user-tower.onnx";
    /// <summary>Item tower ONNX file.</summary>
    public string ItemTower { get; set; } = "item-tower.onnx";
    /// <summary>Item vectors, without extension.</summary>
    public string ItemVectors { get; set; } = "behaviour-item-vectors";
    /// <summary>Item id hash buckets.</summary>
    public int ItemBuckets { get; set; }
    /// <summary>Category id hash buckets.</summary>
    public int CategoryBuckets { get; set; }
    /// <summary>Events of history read (most recent first).</summary>
    public int HistoryLength { get; set; }
    /// <summary>Recency half-life in events.</summary>
    public float HalfLife { get; set; }
    /// <summary>Output dimension.</summary>
    public int Dim { get; set; }
    /// <summary>
    /// Width of the item tower's <c>text</c> input (the text tower's dimension); 0 when the item tower takes only
    /// ids and categories. The tower then also takes <c>has_text</c> float [batch, 1].
    /// </summary>
    public int ItemTextDim { get; set; }
    /// <summary>Seconds the training took (featurizing, epochs, export).</summary>
    public double TrainSeconds { get; set; }

    /// <summary>
    /// The newest event the towers learnt from (Unix seconds), so an evaluation can tell whether they saw behaviour
    /// after its queries; null for towers trained before it was recorded.
    /// </summary>
    public long? LastTimestamp { get; set; }

    /// <summary>A hash of the settings that shape the towers' inputs and outputs, as <see cref="TextModelInfo.Settings"/>.</summary>
    public string? Settings { get; set; }

    internal string SettingsHash() => DeepModelManifest.Hash(string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"behaviour|{ItemBuckets}|{CategoryBuckets}|{HistoryLength}|{HalfLife}|{Dim}|{ItemTextDim}"));
}
