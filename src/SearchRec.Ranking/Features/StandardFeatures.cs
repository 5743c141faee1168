namespace SearchRec.Ranking.Features;

/// <summary>The feature extractor <c>train-ranker</c>, <c>search</c> and the service share, so that a saved ranker's schema matches at load.</summary>
public static class StandardFeatures
{
    /// <summary>The search extractor: recall (BM25) and text features, then any extra groups (collaborative, deep) in the given order.</summary>
    public static FeatureExtractor ForSearch(params IFeatureGroup[] extra) =>
        new([new RecallFeatures(), new TextFeatures(), .. extra]);
}
