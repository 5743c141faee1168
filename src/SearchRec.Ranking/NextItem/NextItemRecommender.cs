using System.Buffers;
using System.Globalization;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Deep;
using SearchRec.Deep.Scoring;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using ModelCard = SearchRec.Ranking.Models.ModelCard;

namespace SearchRec.Ranking.NextItem;

/// <summary>
/// How a saved next-item ranker was trained, read from its model card: what serving and evaluation must rebuild to
/// give it the features it learned from.
/// </summary>
/// <param name="PerSource">Candidates taken from each collaborative source.</param>
/// <param name="TowerEpochs">Epochs of the behaviour tower behind <c>deep_user_item</c>; 0 when trained without one.</param>
/// <param name="Cut">The time its training labels end at (the <c>--cut</c> it was trained with), when the card says.</param>
public sealed record NextItemRankerInfo(int PerSource, int TowerEpochs, long? Cut)
{
    internal const string PerSourceKey = "next_item.per_source";
    internal const string TowerEpochsKey = "next_item.tower_epochs";
    internal const string CutKey = "next_item.cut";

    /// <summary>The defaults of <c>train-ranker --events … --cut</c>, for cards written before these were recorded.</summary>
    public static NextItemRankerInfo Defaults { get; } = new(50, 2, null);

    /// <summary>Writes this into <paramref name="card"/>'s options.</summary>
    public void WriteTo(ModelCard card)
    {
        Guard.NotNull(card);
        card.Options[PerSourceKey] = PerSource.ToString(CultureInfo.InvariantCulture);
        card.Options[TowerEpochsKey] = TowerEpochs.ToString(CultureInfo.InvariantCulture);
        if (Cut is { } c) card.Options[CutKey] = c.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Reads what <see cref="WriteTo"/> wrote; a card without these options (or no card) gives
    /// <see cref="Defaults"/>. A value that is present but not a number is refused, naming the card's key.
    /// </summary>
    public static NextItemRankerInfo Read(ModelCard? card)
    {
        if (card is null) return Defaults;
        int perSource = Int(card, PerSourceKey) ?? Defaults.PerSource;
        int epochs = Int(card, TowerEpochsKey) ?? Defaults.TowerEpochs;
        long? cut = null;
        if (card.Options.TryGetValue(CutKey, out var s))
            cut = long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new InvalidDataException($"model card: {CutKey} '{s}' is not a Unix time.");
        if (perSource <= 0) throw new InvalidDataException($"model card: {PerSourceKey} must be positive (was {perSource}).");
        if (epochs < 0) throw new InvalidDataException($"model card: {TowerEpochsKey} must not be negative (was {epochs}).");
        return new NextItemRankerInfo(perSource, epochs, cut);
    }

    private static int? Int(ModelCard card, string key) =>
        !card.Options.TryGetValue(key, out var s) ? null
        : int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
        : throw new InvalidDataException($"model card: {key} '{s}' is not a whole number.");
}

/// <summary>One recommended item with the features that moved its score most.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Score">The ranker's score.</param>
/// <param name="Top">The largest contributions by size, with the feature's value (NaN: unknown for this item).</param>
/// <param name="Unexplained">The part of the score no feature explains (the model's base).</param>
public sealed record NextItemExplanation(long ItemId, float Score, IReadOnlyList<FeatureContribution> Top, float Unexplained);

/// <summary>
/// A user's feed from a learned next-item ranker: candidates pooled from the collaborative sources for the user's
/// history (<see cref="NextItemRanking.Candidates"/>), scored by the ranker, best first. This is what
/// <c>eval-rec --model fused</c> measures and what the service's recommendations answer with. Thread-safe when the
/// sources are (the collaborative models, item activity and towers are).
/// </summary>
public sealed class NextItemRecommender : IDisposable
{
    /// <summary>The folder, inside a next-item ranker's, that holds the behaviour tower it was trained with.</summary>
    public const string TowerFolder = "behaviour";

    private readonly IRankerModel _model;
    private IDisposable? _owned;

    /// <summary>Wraps a ranker trained on <see cref="NextItemRanking.Schema"/>; refuses any other schema.</summary>
    /// <exception cref="RankerSchemaMismatchException">The ranker reads other features (a search ranker, or an older next-item schema).</exception>
    public NextItemRecommender(IRankerModel model, NextItemSources sources, int perSource)
    {
        Guard.NotNull(model);
        Sources = Guard.NotNull(sources);
        PerSource = Guard.Positive(perSource);
        CheckSchema(model);
        _model = model;
    }

    private static void CheckSchema(IRankerModel model, string? rankerDir = null)
    {
        // A search ranker differs in every column: say what it is and where it goes, not which columns are missing
        // (the reverse of what the search commands say of a next-item ranker, ModelLocations.RefuseNextItem).
        if (!NextItemRanking.IsNextItemSchema(model.Schema))
            throw new RankerSchemaMismatchException(
                $"The ranker{(rankerDir is null ? "" : " in " + rankerDir)} is a search ranker (feature schema {model.Schema}): it re-ranks search results, not a user's recommendations. Use it with `searchrec search --models`, `searchrec serve … --ranker` or `searchrec eval --ranker fused --models`; recommendations need a next-item ranker ({NextItemRanking.Schema}) trained by `searchrec train-ranker --events … --cut … --test-users-from …`.");
        if (NextItemRanking.Schema.DescribeDifference(model.Schema) is { } diff)
            throw new RankerSchemaMismatchException(
                $"The ranker{(rankerDir is null ? "" : " in " + rankerDir)} reads feature schema {model.Schema}, not the next-item schema {NextItemRanking.Schema} ({diff}); a feed needs a ranker trained by `searchrec train-ranker --events … --cut … --test-users-from …`.");
    }

    /// <summary>
    /// Reads the next-item ranker saved in <paramref name="rankerDir"/>; throws <see cref="RankerSchemaMismatchException"/>
    /// saying so when it is a search ranker, or naming the difference when it is a next-item ranker of another schema.
    /// </summary>
    public static IRankerModel ReadRanker(string rankerDir)
    {
        Guard.NotNull(rankerDir);
        var model = RankerStore.Read(rankerDir);
        CheckSchema(model, rankerDir);
        return model;
    }

    // The card's settings, a bad one named with the card's path (NextItemRankerInfo.Read knows the card, not its file).
    internal static NextItemRankerInfo ReadInfo(string rankerDir)
    {
        try { return NextItemRankerInfo.Read(ModelCard.Read(rankerDir)); }
        catch (InvalidDataException e) when (e.Message.StartsWith("model card: ", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{Path.Combine(rankerDir, "model-card.json")}: {e.Message["model card: ".Length..]}", e);
        }
    }

    /// <summary>
    /// Opens the next-item ranker saved in <paramref name="rankerDir"/> over <paramref name="models"/> and
    /// <paramref name="activity"/> (built from the events the feed is served from), with the behaviour tower saved
    /// beside it when it was trained with one. Throws naming the folder when the ranker is not a next-item ranker or
    /// its tower is missing.
    /// </summary>
    public static NextItemRecommender Open(string rankerDir, CollabModels models, ItemActivity activity, DeepScorerOptions? options = null)
    {
        Guard.NotNull(rankerDir);
        Guard.NotNull(models);
        Guard.NotNull(activity);
        var model = ReadRanker(rankerDir);
        var info = ReadInfo(rankerDir);
        BehaviourScorer? tower = null;
        if (info.TowerEpochs > 0)
        {
            var dir = Path.Combine(rankerDir, TowerFolder);
            if (!File.Exists(Path.Combine(dir, DeepModelManifest.FileName)))
                throw new FileNotFoundException($"The next-item ranker in {rankerDir} was trained with a behaviour tower, but {dir} holds none; retrain it with this version of `searchrec train-ranker --events … --cut …`, which saves the tower there.", dir);
            tower = BehaviourScorer.Open(dir, options);
        }
        return new NextItemRecommender(model, new NextItemSources(models, activity, tower), info.PerSource) { _owned = tower };
    }

    /// <summary>What the features are computed from.</summary>
    public NextItemSources Sources { get; }

    /// <summary>Candidates taken from each collaborative source.</summary>
    public int PerSource { get; }

    /// <summary>
    /// The <paramref name="k"/> best candidates for <paramref name="history"/>, highest score first (ties by item id,
    /// as training's evaluation breaks them). An empty history is ranked too, as training's evaluation ranks it (its
    /// pool is the popular items), though the ranker learned only from users with one.
    /// </summary>
    public IReadOnlyList<ScoredItem> Recommend(UserHistory history, int k)
    {
        Guard.NotNull(history);
        Guard.Positive(k);
        // The feature rows, scores and order are rented and returned here: only the top k leave.
        var (items, features) = NextItemRanking.Pool(Sources, history, PerSource, pooledFeatures: true);
        var n = items.Length;
        var scores = ArrayPool<float>.Shared.Rent(Math.Max(1, n));
        var order = ArrayPool<(float Key, int Index)>.Shared.Rent(Math.Max(1, n));
        try
        {
            if (n > 0) _model.Score(features.AsSpan(0, n * NextItemRanking.Schema.Count), n, scores.AsSpan(0, n));
            Order(scores.AsSpan(0, n), order.AsSpan(0, n));
            var top = new ScoredItem[Math.Min(k, n)];
            for (var r = 0; r < top.Length; r++) top[r] = new ScoredItem(items[order[r].Index], scores[order[r].Index]);
            return top;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(features);
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<(float Key, int Index)>.Shared.Return(order);
        }
    }

    /// <summary>
    /// As <see cref="Recommend"/>, with each item's <paramref name="features"/> largest feature contributions (by
    /// size) and the part of its score no feature explains.
    /// </summary>
    public IReadOnlyList<NextItemExplanation> Explain(UserHistory history, int k, int features = 5)
    {
        Guard.Positive(features);
        var (items, matrix, scores, order) = Rank(history, k);
        var schema = NextItemRanking.Schema;
        var contributions = new float[schema.Count];
        var result = new NextItemExplanation[order.Length];
        for (var r = 0; r < order.Length; r++)
        {
            var row = order[r];
            var rest = _model.Explain(matrix, items.Length, row, contributions);
            var top = Enumerable.Range(0, schema.Count).OrderByDescending(f => MathF.Abs(contributions[f])).ThenBy(f => f).Take(features)
                .Select(f => new FeatureContribution(schema.Names[f], matrix[row * schema.Count + f], contributions[f])).ToArray();
            result[r] = new NextItemExplanation(items[row], scores[row], top, rest);
        }
        return result;
    }

    // The pool, its features and scores, and the rows of the best k: highest score first, ties by item id (candidates
    // come sorted by id), NaN last, the order training's evaluation uses.
    private (long[] Items, float[] Features, float[] Scores, int[] Top) Rank(UserHistory history, int k)
    {
        Guard.NotNull(history);
        Guard.Positive(k);
        var (items, features) = NextItemRanking.Candidates(Sources, history, PerSource);
        var scores = new float[items.Length];
        if (items.Length > 0) _model.Score(features, items.Length, scores);
        var order = new (float Key, int Index)[items.Length];
        Order(scores, order);
        var top = new int[Math.Min(k, items.Length)];
        for (var r = 0; r < top.Length; r++) top[r] = order[r].Index;
        return (items, features, scores, top);
    }

    // Rows best first: highest score, ties by row (candidates come sorted by id), NaN last.
    private static void Order(ReadOnlySpan<float> scores, Span<(float Key, int Index)> order)
    {
        for (var i = 0; i < order.Length; i++) order[i] = (float.IsNaN(scores[i]) ? float.PositiveInfinity : -scores[i], i);
        order.Sort(static (a, b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Index.CompareTo(b.Index));
    }

    /// <summary>Closes the behaviour tower <see cref="Open"/> opened.</summary>
    public void Dispose()
    {
        _owned?.Dispose();
        _owned = null;
    }
}
