using SearchRec.Core;
using SearchRec.Ranking.Features;

namespace SearchRec.Ranking.Training;

/// <summary>One query's rows in a <see cref="RankingDataset"/>, with all of its judgments (also those not recalled).</summary>
/// <param name="QueryId">The query id.</param>
/// <param name="Start">The first row.</param>
/// <param name="Count">Number of rows (candidates).</param>
/// <param name="Judgments">Every judged item of the query and its grade, recalled or not (for honest nDCG and recall).</param>
/// <param name="Weight">The example weight of the group's rows in training (1 unless mixing data sets).</param>
/// <param name="Text">The query's text when known: cross-validation keeps groups of the same text (as
/// <see cref="SearchRec.Text.QueryTextComparer"/> sees it) in one fold, and model cards fingerprint it.</param>
public sealed record QueryGroup(string QueryId, int Start, int Count, IReadOnlyDictionary<string, int> Judgments, float Weight = 1f, string? Text = null);

/// <summary>
/// Learning-to-rank data: feature rows grouped by query, a graded label per row, and the item id of each row.
/// Built with <see cref="RankingDatasetBuilder"/>. Immutable.
/// </summary>
public sealed class RankingDataset
{
    /// <summary>The highest label a row may carry: LambdaMART's gain for it, 2^(label+1) − 1, must fit LightGBM's integer gains.</summary>
    public const int MaxLabel = 30;

    internal RankingDataset(FeatureSchema schema, float[] features, float[] labels, string[] items, QueryGroup[] groups)
    {
        Schema = schema;
        Features = features;
        Labels = labels;
        Items = items;
        Groups = groups;
    }

    /// <summary>The feature columns.</summary>
    public FeatureSchema Schema { get; }

    /// <summary>Row-major features, <c>Rows × Schema.Count</c>; NaN is unknown.</summary>
    public float[] Features { get; }

    /// <summary>The graded label of each row (0 = not relevant).</summary>
    public float[] Labels { get; }

    /// <summary>The item id of each row.</summary>
    public string[] Items { get; }

    /// <summary>The query groups, in insertion order.</summary>
    public IReadOnlyList<QueryGroup> Groups { get; }

    /// <summary>Number of rows.</summary>
    public int Rows => Labels.Length;

    /// <summary>The features of one row.</summary>
    public ReadOnlySpan<float> Row(int row) => Features.AsSpan(row * Schema.Count, Schema.Count);

    /// <summary>A dataset holding only the given groups (by index), in that order.</summary>
    public RankingDataset Subset(IReadOnlyList<int> groupIndexes)
    {
        Guard.NotNull(groupIndexes);
        var b = new RankingDatasetBuilder(Schema);
        foreach (var g in groupIndexes)
        {
            var group = Groups[g];
            b.Add(group.QueryId, Features.AsSpan(group.Start * Schema.Count, group.Count * Schema.Count), Labels.AsSpan(group.Start, group.Count),
                Items.AsSpan(group.Start, group.Count), group.Judgments, group.Weight, group.Text);
        }
        return b.Build();
    }

    /// <summary>True when some group has a weight other than 1.</summary>
    public bool IsWeighted => Groups.Any(g => g.Weight != 1f);

    /// <summary>
    /// The groups of <paramref name="first"/> then those of <paramref name="second"/> (e.g. in-domain then
    /// out-of-domain), each keeping its rows, labels and judgments; each group's weight is multiplied by its data
    /// set's weight. Both must read the same schema, and no query id may appear in both.
    /// </summary>
    public static RankingDataset Concat(RankingDataset first, RankingDataset second, float firstWeight = 1f, float secondWeight = 1f)
    {
        Guard.NotNull(first);
        Guard.NotNull(second);
        if (!(firstWeight > 0) || float.IsInfinity(firstWeight)) throw new ArgumentOutOfRangeException(nameof(firstWeight), firstWeight, "firstWeight must be positive and finite.");
        if (!(secondWeight > 0) || float.IsInfinity(secondWeight)) throw new ArgumentOutOfRangeException(nameof(secondWeight), secondWeight, "secondWeight must be positive and finite.");
        var diff = first.Schema.DescribeDifference(second.Schema);
        if (diff is not null) throw new ArgumentException($"The data sets read different features: {diff}.", nameof(second));
        var ids = new HashSet<string>(first.Groups.Select(g => g.QueryId), StringComparer.Ordinal);
        foreach (var g in second.Groups)
            if (ids.Contains(g.QueryId)) throw new ArgumentException($"Query id '{g.QueryId}' is in both data sets; give one of them a prefix.", nameof(second));
        var b = new RankingDatasetBuilder(first.Schema);
        var dim = first.Schema.Count;
        foreach (var (data, scale) in new[] { (first, firstWeight), (second, secondWeight) })
            foreach (var g in data.Groups)
                b.Add(g.QueryId, data.Features.AsSpan(g.Start * dim, g.Count * dim), data.Labels.AsSpan(g.Start, g.Count), data.Items.AsSpan(g.Start, g.Count), g.Judgments, g.Weight * scale, g.Text);
        return b.Build();
    }
}

/// <summary>Collects query groups into a <see cref="RankingDataset"/>.</summary>
public sealed class RankingDatasetBuilder
{
    private readonly FeatureSchema _schema;
    private readonly List<float> _features = [];
    private readonly List<float> _labels = [];
    private readonly List<string> _items = [];
    private readonly List<QueryGroup> _groups = [];

    /// <summary>Creates an empty builder for the schema.</summary>
    public RankingDatasetBuilder(FeatureSchema schema) => _schema = Guard.NotNull(schema);

    /// <summary>Number of groups added so far.</summary>
    public int GroupCount => _groups.Count;

    /// <summary>Adds one query's candidates (rows of <paramref name="features"/>), their labels and ids, and all its judgments.</summary>
    public RankingDatasetBuilder Add(string queryId, ReadOnlySpan<float> features, ReadOnlySpan<float> labels, ReadOnlySpan<string> items,
        IReadOnlyDictionary<string, int> judgments) => Add(queryId, features, labels, items, judgments, 1f);

    /// <summary>As the other overload, with an example weight for the group's rows (positive).</summary>
    public RankingDatasetBuilder Add(string queryId, ReadOnlySpan<float> features, ReadOnlySpan<float> labels, ReadOnlySpan<string> items,
        IReadOnlyDictionary<string, int> judgments, float weight) => Add(queryId, features, labels, items, judgments, weight, null);

    /// <summary>As the other overloads, with the query's text (<see cref="QueryGroup.Text"/>; null when unknown).</summary>
    public RankingDatasetBuilder Add(string queryId, ReadOnlySpan<float> features, ReadOnlySpan<float> labels, ReadOnlySpan<string> items,
        IReadOnlyDictionary<string, int> judgments, float weight, string? text)
    {
        if (!(weight > 0) || float.IsInfinity(weight)) throw new ArgumentOutOfRangeException(nameof(weight), weight, $"Query {queryId}: weight must be positive and finite.");
        Guard.NotNull(queryId);
        Guard.NotNull(judgments);
        var n = labels.Length;
        if (items.Length != n || features.Length != n * _schema.Count)
            throw new ArgumentException($"Query {queryId}: {n} labels, {items.Length} ids and {features.Length} feature values ({_schema.Count} per row) do not agree.");
        for (var i = 0; i < n; i++)
            if (!(labels[i] >= 0) || labels[i] > RankingDataset.MaxLabel)
                throw new ArgumentException($"Query {queryId}, item {items[i]}: grade {labels[i]} is outside [0, {RankingDataset.MaxLabel}], the grades LambdaMART's gains reach: rescale the judgments.");
        _groups.Add(new QueryGroup(queryId, _labels.Count, n, judgments, weight, text));
        foreach (var v in features) _features.Add(v);
        foreach (var v in labels) _labels.Add(v);
        foreach (var v in items) _items.Add(v);
        return this;
    }

    /// <summary>The dataset of everything added.</summary>
    public RankingDataset Build() => new(_schema, _features.ToArray(), _labels.ToArray(), _items.ToArray(), _groups.ToArray());
}
