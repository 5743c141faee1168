using System.Buffers;
using System.Globalization;
using System.Numerics.Tensors;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Deep.Text;

namespace SearchRec.Deep.Scoring;

/// <summary>
/// Behaviour scores: the user tower (ONNX Runtime) turns a user's recent history into a vector once per request;
/// items are scored by dot product with their stored item-tower vectors. Thread-safe.
/// </summary>
public sealed class BehaviourScorer : IDisposable
{
    private readonly TowerSession _user;
    private readonly ItemVectors _items;
    private readonly BehaviourFeaturizer _featurizer;

    private BehaviourScorer(TowerSession user, ItemVectors items, BehaviourFeaturizer featurizer, long? lastTimestamp)
    {
        _user = user; _items = items; _featurizer = featurizer; LastTimestamp = lastTimestamp;
    }

    /// <summary>The newest event the towers learnt from (Unix seconds); null for towers trained before it was recorded.</summary>
    public long? LastTimestamp { get; }

    /// <summary>Opens the behaviour model of a models directory.</summary>
    public static BehaviourScorer Open(string modelsDir, DeepScorerOptions? options = null)
    {
        Guard.NotNull(modelsDir);
        options ??= new DeepScorerOptions();
        options.Validate();
        var manifest = DeepModelManifest.Read(modelsDir);
        var info = manifest.Behaviour ?? throw new InvalidDataException($"'{Path.Combine(modelsDir, DeepModelManifest.FileName)}' has no behaviour model; train with --events.");
        var baseName = Path.Combine(modelsDir, info.ItemVectors);
        var items = ItemVectors.Read(baseName + ".bin", baseName + ".tsv");
        var featurizer = new BehaviourFeaturizer(new BehaviourFeaturizerOptions
        {
            ItemBuckets = info.ItemBuckets, CategoryBuckets = info.CategoryBuckets, HistoryLength = info.HistoryLength, HalfLife = info.HalfLife,
        });
        var user = TowerSession.Open(Path.Combine(modelsDir, info.UserTower), options, items.Dim);
        return new BehaviourScorer(user, items, featurizer, info.LastTimestamp);
    }

    /// <summary>Output dimension.</summary>
    public int Dimension => _items.Dim;

    /// <summary>Items with a stored vector.</summary>
    public int ItemCount => _items.Count;

    /// <summary>Writes the user vector of a history (oldest first; only the last events are read).</summary>
    public void EncodeUser(ReadOnlySpan<UserEvent> historyOldestFirst, Span<float> vector)
    {
        if (vector.Length < Dimension) throw new ArgumentException($"vector has length {vector.Length}; need {Dimension}.", nameof(vector));
        var max = _featurizer.MaxUserIds;
        var ids = ArrayPool<long>.Shared.Rent(max);
        var w = ArrayPool<float>.Shared.Rent(max);
        try
        {
            var n = _featurizer.UserBag(historyOldestFirst, ids.AsSpan(0, max), w.AsSpan(0, max));
            if (n == 0) { ids[0] = 0; w[0] = 0; n = 1; }
            _user.Encode(ids, w, 1, n, vector[..Dimension]);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(ids);
            ArrayPool<float>.Shared.Return(w);
        }
    }

    /// <summary>The user vector of a history (oldest first).</summary>
    public float[] EncodeUser(ReadOnlySpan<UserEvent> historyOldestFirst)
    {
        var v = new float[Dimension];
        EncodeUser(historyOldestFirst, v);
        return v;
    }

    /// <summary>Scores items (ids as in the event log) against a user vector; 0 for an item without a vector.</summary>
    public void Score(ReadOnlySpan<float> userVector, IReadOnlyList<string> itemIds, Span<float> scores)
    {
        Guard.NotNull(itemIds);
        if (userVector.Length != Dimension) throw new ArgumentException($"userVector has length {userVector.Length}; need {Dimension}.", nameof(userVector));
        if (scores.Length < itemIds.Count) throw new ArgumentException($"scores has length {scores.Length}; need {itemIds.Count}.", nameof(scores));
        for (var i = 0; i < itemIds.Count; i++)
            scores[i] = _items.Index.TryGetValue(itemIds[i], out var row) ? TensorPrimitives.Dot(_items.Row(row), userVector) : 0f;
    }

    /// <summary>The <paramref name="k"/> items nearest to the user vector (exact search), best first.</summary>
    public IReadOnlyList<(string ItemId, float Score)> Nearest(ReadOnlySpan<float> userVector, int k)
    {
        Guard.Positive(k);
        if (userVector.Length != Dimension) throw new ArgumentException($"userVector has length {userVector.Length}; need {Dimension}.", nameof(userVector));
        return _items.Nearest(userVector, k);
    }

    /// <summary>
    /// The <paramref name="k"/> items nearest to the user vector of <paramref name="history"/> (any order: sorted by
    /// time and consecutive repeats collapsed, as in training), best first.
    /// </summary>
    public IReadOnlyList<(string ItemId, float Score)> Recommend(IEnumerable<UserEvent> history, int k)
    {
        Guard.NotNull(history);
        Guard.Positive(k);
        var sorted = Training.DeepTraining.Collapse(history);
        var v = new float[Dimension];
        EncodeUser(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sorted), v);
        return _items.Nearest(v, k);
    }

    /// <summary>Formats an event-log item id as the scorer's string key.</summary>
    public static string Key(long itemId) => itemId.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void Dispose() => _user.Dispose();
}
