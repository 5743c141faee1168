using System.Buffers;
using System.Numerics.Tensors;
using SearchRec.Core;
using SearchRec.Deep.Text;
using SearchRec.Text;

namespace SearchRec.Deep.Scoring;

/// <summary>
/// Deep text scores at query time: the query tower (ONNX Runtime) runs once per request, then each candidate's
/// score is a dot product with its stored unit item vector (cosine, in [−1, 1]). Also exact dense recall over
/// all item vectors. One session, created at open and reused; thread-safe.
/// </summary>
public sealed class DeepScorer : IDenseScorer, IDisposable
{
    private const int EncodeBatch = 256;
    private static readonly Lazy<ITokenizer> DefaultTokenizer = new(() => new ChineseTokenizer());
    private readonly TowerSession _tower;
    private readonly ItemVectors _items;
    private readonly TextFeaturizer _featurizer;

    private DeepScorer(TowerSession tower, ItemVectors items, TextFeaturizer featurizer, HubnessInfo? hubness)
    {
        _tower = tower; _items = items; _featurizer = featurizer; Hubness = hubness;
    }

    /// <summary>
    /// Opens the text model of a models directory (<c>deep-model.json</c>, tower, item vectors). A model trained
    /// with words segments with <paramref name="tokenizer"/>, by default the project's <see cref="ChineseTokenizer"/>
    /// (training used the same). When the folder holds <see cref="HubnessCorrection.FileName"/> (written by
    /// <c>searchrec hubness</c>), every score is corrected: cos(q, item) − factor · r(item), in <c>Score</c> and
    /// <c>Nearest</c> alike; a file computed for other items or another tower is refused naming it.
    /// </summary>
    public static DeepScorer Open(string modelsDir, DeepScorerOptions? options = null, ITokenizer? tokenizer = null)
        => Open(modelsDir, options, tokenizer, applyHubness: true);

    /// <summary><see cref="Open(string, DeepScorerOptions?, ITokenizer?)"/>; <paramref name="applyHubness"/> false ignores a hubness file (raw cosines).</summary>
    internal static DeepScorer Open(string modelsDir, DeepScorerOptions? options, ITokenizer? tokenizer, bool applyHubness)
    {
        Guard.NotNull(modelsDir);
        options ??= new DeepScorerOptions();
        options.Validate();
        var manifest = DeepModelManifest.Read(modelsDir);
        var text = manifest.Text ?? throw new InvalidDataException($"'{Path.Combine(modelsDir, DeepModelManifest.FileName)}' has no text model; train with --catalog.");
        // A model trained with words needs the same segmentation; the project's tokenizer is the default.
        TextFeaturizer featurizer;
        try
        {
            featurizer = new TextFeaturizer(new TextFeaturizerOptions
                {
                    Buckets = text.Buckets, MaxChars = text.MaxChars, MaxIds = text.MaxIds,
                    FoldTraditional = text.FoldTraditional ?? false,
                },
                text.Words ? tokenizer ?? DefaultTokenizer.Value : null, ReadBucketWeights(modelsDir, text));
        }
        // Settings out of range in a manifest the settings hash cannot check (written before it) named no file.
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{Path.Combine(modelsDir, DeepModelManifest.FileName)}': {e.Message}", e);
        }
        var baseName = Path.Combine(modelsDir, text.ItemVectors);
        var items = ItemVectors.Read(baseName + ".bin", baseName + ".tsv");
        var custom = options.TextTowerPath is not null;
        var towerPath = custom ? options.TextTowerPath! : Path.Combine(modelsDir, text.Tower);
        var tower = TowerSession.Open(towerPath, options, custom ? null : items.Dim);
        try
        {
            if (custom)
            {
                options.Log($"deep: using the text tower '{towerPath}'; recomputing {items.Count:N0} item vectors.");
                items = Recompute(tower, featurizer, items);
            }
            HubnessInfo? hubness = null;
            var hubnessPath = Path.Combine(modelsDir, HubnessCorrection.FileName);
            if (applyHubness && File.Exists(hubnessPath))
            {
                (var r, hubness) = HubnessCorrection.Read(hubnessPath, items);
                TensorPrimitives.Multiply(r, hubness.Factor, r);
                items = items.WithPenalty(r);
            }
            if (options.CoverCatalog is { } catalog) items = Cover(tower, featurizer, items, catalog(), options.Log, modelsDir);
            return new DeepScorer(tower, items, featurizer, hubness);
        }
        catch
        {
            tower.Dispose();
            throw;
        }
    }

    /// <summary>The stored item vectors (an ensemble concatenates its members').</summary>
    internal ItemVectors Items => _items;

    /// <summary>The hubness correction applied to every score, or null when the folder has none.</summary>
    public HubnessInfo? Hubness { get; }

    /// <summary>Output dimension of the towers.</summary>
    public int Dimension => _items.Dim;

    /// <summary>Number of items with a stored vector.</summary>
    public int ItemCount => _items.Count;

    /// <summary>True when <paramref name="productId"/> has a stored vector.</summary>
    public bool Contains(string productId) => _items.Index.ContainsKey(productId);

    /// <summary>The query vector (unit length; zero-ish only for an empty query). Long queries are truncated.</summary>
    public float[] EncodeQuery(string query)
    {
        var v = new float[Dimension];
        EncodeQuery(query, v);
        return v;
    }

    /// <summary>Writes the query vector into <paramref name="vector"/> (length <see cref="Dimension"/>).</summary>
    public void EncodeQuery(string query, Span<float> vector)
    {
        if (vector.Length < Dimension) throw new ArgumentException($"vector has length {vector.Length}; need {Dimension}.", nameof(vector));
        var max = _featurizer.Options.MaxIds;
        var ids = ArrayPool<long>.Shared.Rent(max);
        var w = ArrayPool<float>.Shared.Rent(max);
        try
        {
            var n = _featurizer.Featurize(query ?? "", ids.AsSpan(0, max));
            if (n == 0) { ids[0] = 0; w[0] = 0; n = 1; }
            else _featurizer.Weigh(ids.AsSpan(0, n), w.AsSpan(0, n));
            _tower.Encode(ids, w, 1, n, vector[..Dimension]);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(ids);
            ArrayPool<float>.Shared.Return(w);
        }
    }

    /// <summary>
    /// Scores candidates against a query vector: <c>scores[i]</c> = cosine of the query and item i (less factor ·
    /// r(item) with a <see cref="Hubness"/> correction); 0 for an id without a vector.
    /// </summary>
    public void Score(ReadOnlySpan<float> queryVector, IReadOnlyList<string> productIds, Span<float> scores)
        => _items.Score(queryVector, productIds, scores);

    /// <summary>Encodes the query and scores the candidates (see <see cref="Score(ReadOnlySpan{float}, IReadOnlyList{string}, Span{float})"/>).</summary>
    public float[] Score(string query, IReadOnlyList<string> productIds)
        => _items.Score(this, query, productIds);

    /// <summary>Dense recall: the <paramref name="k"/> items nearest to the query (exact inner-product search), best first.</summary>
    public IReadOnlyList<(string ProductId, float Score)> Nearest(string query, int k)
        => _items.Nearest(this, query, k);

    /// <summary>Dense recall from an already computed query vector.</summary>
    public IReadOnlyList<(string ProductId, float Score)> Nearest(ReadOnlySpan<float> queryVector, int k)
        => _items.NearestChecked(queryVector, k);

    private const int BucketWeightsMagic = 0x57425253; // "SRBW"

    /// <summary>Reads the text model's bucket weights, or null when it has none.</summary>
    internal static float[]? ReadBucketWeights(string modelsDir, TextModelInfo text)
    {
        if (text.BucketWeights is null) return null;
        var path = Path.Combine(modelsDir, text.BucketWeights);
        if (!File.Exists(path)) throw new FileNotFoundException($"bucket weights '{path}' named in the manifest do not exist.", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 12 || BitConverter.ToInt32(bytes, 0) != BucketWeightsMagic || BitConverter.ToInt32(bytes, 4) != 1)
            throw new InvalidDataException($"'{path}' is not a SearchRec bucket-weight file (bad header).");
        var count = BitConverter.ToInt32(bytes, 8);
        if (count != text.Buckets || bytes.Length != 12 + 4L * count)
            throw new InvalidDataException($"'{path}' holds {count} weights in {bytes.Length} bytes; the text model has {text.Buckets} buckets.");
        var w = new float[count];
        Buffer.BlockCopy(bytes, 12, w, 0, 4 * count);
        return w;
    }

    /// <summary>Writes bucket weights in the format <see cref="ReadBucketWeights"/> reads.</summary>
    internal static void WriteBucketWeights(string path, float[] weights)
    {
        var bytes = new byte[12 + 4L * weights.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), BucketWeightsMagic);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), 1);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), weights.Length);
        Buffer.BlockCopy(weights, 0, bytes, 12, 4 * weights.Length);
        File.WriteAllBytes(path, bytes);
    }

    // Encodes the catalog's products the stored vectors lack or hold under another title (see DeepScorerOptions.CoverCatalog).
    private static ItemVectors Cover(TowerSession tower, TextFeaturizer featurizer, ItemVectors items, IEnumerable<KeyValuePair<string, string>> catalog, Action<string> log, string modelsDir)
    {
        var ids = new List<string>();
        var texts = new List<string>();
        int held = 0, same = 0, added = 0;
        foreach (var (id, title) in catalog)
        {
            var text = ItemVectors.StoredText(title);
            if (items.Index.TryGetValue(id, out var row))
            {
                held++;
                if (string.Equals(items.Texts[row].Trim(), text, StringComparison.Ordinal)) { same++; continue; }
            }
            else added++;
            ids.Add(id);
            texts.Add(text);
        }
        // A tower of another catalog: encoding its "changes" would hide that from the check that refuses it.
        if (ids.Count == 0 || held == 0 || same * 2 < held) return items;
        var data = new float[(long)ids.Count * tower.Dim];
        EncodeTexts(tower, featurizer, texts, data);
        log($"deep: the tower in {modelsDir} encoded {ids.Count:N0} products it was not trained on ({added:N0} new, {ids.Count - added:N0} retitled since train-deep)");
        return items.With(ids, texts, data);
    }

    private static ItemVectors Recompute(TowerSession tower, TextFeaturizer featurizer, ItemVectors old)
    {
        var data = new float[(long)old.Count * tower.Dim];
        EncodeTexts(tower, featurizer, old.Texts, data);
        return new ItemVectors(old.Ids, old.Texts, data, tower.Dim);
    }

    /// <summary>
    /// Query vectors of many texts into <paramref name="output"/> (row i = text i), in chunks spread over
    /// <paramref name="threads"/> (ORT's Run is thread-safe); a line to <paramref name="progress"/> every few seconds.
    /// </summary>
    internal void EncodeMany(IReadOnlyList<string> texts, float[] output, int threads, Action<string>? progress)
    {
        const int chunk = 1024;
        if (output.Length < (long)texts.Count * Dimension) throw new ArgumentException($"output has length {output.Length}; need {(long)texts.Count * Dimension}.", nameof(output));
        var chunks = (texts.Count + chunk - 1) / chunk;
        var done = 0;
        var report = new ThrottledProgress(progress);
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, c =>
        {
            var start = c * chunk;
            var n = Math.Min(chunk, texts.Count - start);
            var slice = new string[n];
            for (var i = 0; i < n; i++) slice[i] = texts[start + i];
            EncodeTexts(_tower, _featurizer, slice, output.AsSpan(start * Dimension, n * Dimension));
            var finished = Interlocked.Add(ref done, n);
            report.Report((finished, texts.Count), static (x, t) => $"hubness: encoded {x.finished:N0} / {x.Count:N0} queries ({t:F1} s)");
        });
    }

    /// <summary>Encodes many texts with ORT in batches (used for a user's own tower and by the tests).</summary>
    internal static void EncodeTexts(TowerSession tower, TextFeaturizer featurizer, IReadOnlyList<string> texts, Span<float> output)
    {
        var max = featurizer.Options.MaxIds;
        var one = new long[max];
        var ids = new long[EncodeBatch * max];
        var w = new float[EncodeBatch * max];
        var lens = new int[EncodeBatch];
        for (var start = 0; start < texts.Count; start += EncodeBatch)
        {
            var b = Math.Min(EncodeBatch, texts.Count - start);
            var len = 1;
            for (var i = 0; i < b; i++) { lens[i] = featurizer.Featurize(texts[start + i], one); len = Math.Max(len, lens[i]); }
            Array.Clear(ids); Array.Clear(w);
            for (var i = 0; i < b; i++)
            {
                featurizer.Featurize(texts[start + i], ids.AsSpan(i * len, len));
                featurizer.Weigh(ids.AsSpan(i * len, lens[i]), w.AsSpan(i * len, lens[i]));
            }
            tower.Encode(ids, w, b, len, output.Slice(start * tower.Dim, b * tower.Dim));
        }
    }

    /// <inheritdoc />
    public void Dispose() => _tower.Dispose();
}
