using SearchRec.Ranking.Features;

namespace SearchRec.Ranking.Models;

/// <summary>
/// A combiner that turns the feature rows of one request's candidates into scores (higher is better).
/// All candidates of one request are scored in one call, so combiners may normalise within the request.
/// <see cref="float.NaN"/> features are read as 0 (their <c>has_*</c> column carries the missingness).
/// Implementations are immutable and thread-safe.
/// </summary>
public interface IRankerModel
{
    /// <summary>The combiner kind as saved in <c>ranker.json</c>: <c>lambdamart</c>, <c>lambdamart-bag</c>, <c>lambdamart-towers</c>, <c>linear</c>, <c>weighted</c>, or a stacked kind ending in <c>-stack</c> or <c>-transfer</c> (<see cref="StackColumns"/>).</summary>
    string Kind { get; }

    /// <summary>The feature columns the model reads.</summary>
    FeatureSchema Schema { get; }

    /// <summary>Scores <paramref name="count"/> rows of <paramref name="features"/> (row-major, <c>Schema.Count</c> wide) into <paramref name="scores"/>.</summary>
    void Score(ReadOnlySpan<float> features, int count, Span<float> scores);

    /// <summary>
    /// Splits the score of row <paramref name="row"/> into one contribution per feature (written to
    /// <paramref name="contributions"/>, <c>Schema.Count</c> long) and returns the part no feature explains, so that
    /// the contributions plus the return value equal the row's score.
    /// </summary>
    float Explain(ReadOnlySpan<float> features, int count, int row, Span<float> contributions);
}

/// <summary>
/// A model that computes columns of its own from a request's feature rows (a <see cref="StackedRanker"/>'s linear rank
/// and score), so that an explanation can name them beside the request's features.
/// </summary>
public interface IDerivedColumnsModel : IRankerModel
{
    /// <summary>The names of the derived columns.</summary>
    IReadOnlyList<string> DerivedNames { get; }

    /// <summary>
    /// As <see cref="IRankerModel.Explain"/>, also writing each derived column's value for the row and its contribution
    /// (both <see cref="DerivedNames"/> long); the returned remainder then leaves those contributions out, so the
    /// feature and derived contributions plus the return value equal the row's score.
    /// </summary>
    float Explain(ReadOnlySpan<float> features, int count, int row, Span<float> contributions, Span<float> derivedValues, Span<float> derivedContributions);
}
