namespace SearchRec.Deep.Scoring;

/// <summary>
/// A text scorer over unit query and item vectors: one tower (<see cref="DeepScorer"/>) or the mean of several
/// (<see cref="TowerEnsemble"/>). Scores are inner products of a query vector with stored item vectors.
/// </summary>
public interface IDenseScorer
{
    /// <summary>Length of the query vectors <see cref="EncodeQuery(string, Span{float})"/> writes.</summary>
    int Dimension { get; }

    /// <summary>True when <paramref name="productId"/> has a stored vector (in any member of an ensemble).</summary>
    bool Contains(string productId);

    /// <summary>The query vector.</summary>
    float[] EncodeQuery(string query);

    /// <summary>Writes the query vector into <paramref name="vector"/> (length <see cref="Dimension"/>).</summary>
    void EncodeQuery(string query, Span<float> vector);

    /// <summary>Scores candidates against a query vector; 0 for an id without a vector.</summary>
    void Score(ReadOnlySpan<float> queryVector, IReadOnlyList<string> productIds, Span<float> scores);

    /// <summary>Encodes the query and scores the candidates.</summary>
    float[] Score(string query, IReadOnlyList<string> productIds);

    /// <summary>The <paramref name="k"/> items scoring highest for the query (exact search), best first.</summary>
    IReadOnlyList<(string ProductId, float Score)> Nearest(string query, int k);

    /// <summary>The <paramref name="k"/> items scoring highest for a query vector (exact search), best first.</summary>
    IReadOnlyList<(string ProductId, float Score)> Nearest(ReadOnlySpan<float> queryVector, int k);
}
