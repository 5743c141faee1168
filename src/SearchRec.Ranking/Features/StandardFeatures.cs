using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Deep.Scoring;

namespace SearchRec.Ranking.Features;

/// <summary>What the optional feature groups are computed from; any part may be missing, and its group is then left out.</summary>
public sealed class FeatureSources
{
    /// <summary>Trained collaborative models (enables the <c>collab</c> group).</summary>
    public CollabModels? Collab { get; init; }

    /// <summary>Product look-up for history items (price and brand profile); required with <see cref="Collab"/>.</summary>
    public Func<string, Product?>? Products { get; init; }

    /// <summary>Per-item event times (enables the item recency columns of the <c>collab</c> group; NaN without).</summary>
    public ItemActivity? Activity { get; init; }

    /// <summary>The text two-tower scorer, one tower or a <see cref="TowerEnsemble"/> (enables query–item deep features).</summary>
    public IDenseScorer? DeepText { get; init; }

    /// <summary>
    /// Text towers whose deep columns are written once per tower (<see cref="TowerDeepFeatures"/>, for the
    /// tower-averaged LambdaMART); replaces <see cref="DeepText"/>, which must then be null.
    /// </summary>
    public TowerSet? DeepTowers { get; init; }

    /// <summary>
    /// One term-level scorer per tower of <see cref="DeepTowers"/>, in the same order (enables the <c>deep-terms</c>
    /// group, <see cref="TowerTermFeatures"/>; ranking round 10). Requires <see cref="DeepTowers"/>.
    /// </summary>
    public IReadOnlyList<TermMatchScorer>? DeepTermTowers { get; init; }

    /// <summary>The behaviour two-tower scorer (enables user–item deep features).</summary>
    public BehaviourScorer? DeepBehaviour { get; init; }

    /// <summary>Bigram document frequencies of the catalog's titles (enables the <c>idf</c> group).</summary>
    public TitleBigramStats? TitleStats { get; init; }

    /// <summary>The query-log popularity prior (enables the <c>prior</c> group).</summary>
    public QueryLogPrior? Prior { get; init; }

    /// <summary>
    /// Adds the window-relative (<c>list</c>) and head-word (<c>head</c>) groups. Off by default: on ecom-search they
    /// did not help LambdaMART in cross-validation and cost ~0.1 ms per request (docs/ranking.md).
    /// </summary>
    public bool ListAndHead { get; init; }
}

/// <summary>The feature extractors <c>train-ranker</c>, <c>search</c> and the service share, so that a saved ranker's schema matches at load.</summary>
public static class StandardFeatures
{
    /// <summary>The search extractor: recall (BM25) and text features, then any extra groups in the given order.</summary>
    public static FeatureExtractor ForSearch(params IFeatureGroup[] extra) =>
        new([new RecallFeatures(), new TextFeatures(), .. extra]);

    /// <summary>The search extractor with every group <paramref name="sources"/> makes possible: recall, text, list and head (when asked), idf, prior, collab, deep.</summary>
    public static FeatureExtractor ForSearch(FeatureSources sources)
    {
        Guard.NotNull(sources);
        return ForSearch(Optional(sources).ToArray());
    }

    /// <summary>
    /// The extractor a saved ranker needs: the standard groups whose features appear in <paramref name="schema"/>.
    /// Throws naming the group when the ranker needs a source that is missing.
    /// </summary>
    public static FeatureExtractor ForSchema(FeatureSchema schema, FeatureSources sources)
    {
        Guard.NotNull(schema);
        Guard.NotNull(sources);
        ModelLocations.RefuseNextItem(schema, null);
        var groups = new List<IFeatureGroup> { new RecallFeatures(), new TextFeatures() };
        // Rankers saved before the list, head, idf and prior groups existed read none of them; they still load.
        if (schema.IndexOf("list_cov_gap") >= 0) groups.Add(new ListFeatures());
        if (schema.IndexOf("head_match") >= 0) groups.Add(new HeadFeatures());
        if (schema.IndexOf("idf_coverage") >= 0)
            groups.Add(new IdfFeatures(sources.TitleStats ?? throw new ArgumentException($"The ranker uses idf features, but no title bigram table was loaded (train-ranker saves {TitleBigramStats.FileName} beside ranker.json).")));
        if (schema.IndexOf("prior_hits") >= 0)
            groups.Add(new PriorFeatures(sources.Prior ?? throw new ArgumentException($"The ranker uses the query-log prior, but no prior was loaded (build {QueryLogPrior.FileName} with `searchrec build-prior`).")));
        if (schema.IndexOf("cf_item_item") >= 0)
        {
            if (sources.Collab is null || sources.Products is null)
                throw new ArgumentException("The ranker uses collaborative features, but no collaborative models were loaded (train them with `searchrec train-cf`).");
            groups.Add(new CollabFeatures(sources.Collab, sources.Products, sources.Activity));
        }
        var needsText = schema.IndexOf("deep_query_item") >= 0;
        var needsBehaviour = schema.IndexOf("deep_user_item") >= 0;
        var towers = TowerDeepFeatures.TowerCount(schema);
        if (towers > 0)
        {
            if (sources.DeepTowers is null) throw new ArgumentException($"The ranker reads the deep features of {towers} towers (lambdamart-towers), but no towers were loaded (put ensemble.json naming them in deep/ beside the ranker).");
            if (sources.DeepTowers.Count != towers)
                throw new ArgumentException($"The ranker reads the deep features of {towers} towers, but {sources.DeepTowers.Folder} names {sources.DeepTowers.Count}; give it the ensemble it was trained with.");
            if (needsBehaviour && sources.DeepBehaviour is null) throw new ArgumentException("The ranker uses deep user–item features, but no behaviour tower was loaded.");
            groups.Add(new TowerDeepFeatures(sources.DeepTowers.Scorers, needsBehaviour ? sources.DeepBehaviour : null));
            if (schema.IndexOf(TowerDeepFeatures.ColumnName("deep_terms", 1)) >= 0)
            {
                if (sources.DeepTermTowers is null || sources.DeepTermTowers.Count != towers)
                    throw new ArgumentException($"The ranker reads the term-level deep scores of {towers} towers (deep_terms#k), but no term scorers were loaded for them.");
                groups.Add(new TowerTermFeatures(sources.DeepTermTowers));
            }
            return new FeatureExtractor(groups);
        }
        if (needsText && sources.DeepText is null) throw new ArgumentException("The ranker uses deep query–item features, but no text tower was loaded (train it with `searchrec train-deep`).");
        if (needsBehaviour && sources.DeepBehaviour is null) throw new ArgumentException("The ranker uses deep user–item features, but no behaviour tower was loaded.");
        if (needsText || needsBehaviour) groups.Add(new DeepFeatures(needsText ? sources.DeepText : null, needsBehaviour ? sources.DeepBehaviour : null));
        return new FeatureExtractor(groups);
    }

    private static IEnumerable<IFeatureGroup> Optional(FeatureSources s)
    {
        if (s.ListAndHead)
        {
            yield return new ListFeatures();
            yield return new HeadFeatures();
        }
        if (s.TitleStats is not null) yield return new IdfFeatures(s.TitleStats);
        if (s.Prior is not null) yield return new PriorFeatures(s.Prior);
        if (s.Collab is not null)
            yield return new CollabFeatures(s.Collab, s.Products ?? throw new ArgumentException("FeatureSources.Products is required with FeatureSources.Collab."), s.Activity);
        if (s.DeepTowers is not null)
        {
            if (s.DeepText is not null) throw new ArgumentException("FeatureSources.DeepTowers and FeatureSources.DeepText are exclusive: give one.");
            yield return new TowerDeepFeatures(s.DeepTowers.Scorers, s.DeepBehaviour);
            if (s.DeepTermTowers is not null)
            {
                if (s.DeepTermTowers.Count != s.DeepTowers.Count)
                    throw new ArgumentException($"FeatureSources.DeepTermTowers has {s.DeepTermTowers.Count} scorers for {s.DeepTowers.Count} towers.");
                yield return new TowerTermFeatures(s.DeepTermTowers);
            }
        }
        else if (s.DeepTermTowers is not null) throw new ArgumentException("FeatureSources.DeepTermTowers needs FeatureSources.DeepTowers.");
        else if (s.DeepText is not null || s.DeepBehaviour is not null) yield return new DeepFeatures(s.DeepText, s.DeepBehaviour);
    }
}
