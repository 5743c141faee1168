using SearchRec.Core;

namespace SearchRec.Index;

/// <summary>Which indexed text fields a recall query scores.</summary>
public enum RecallFields
{
    /// <summary>Only the segmented title (<c>bm25-title</c>).</summary>
    Title,
    /// <summary>Only the CJK-bigram copy of the title (<c>bm25-bigram</c>).</summary>
    Bigram,
    /// <summary>All text fields: title, bigram, brand, category, attributes (<c>bm25</c>).</summary>
    All,
}

/// <summary>A recall request. The query is plain user text, never Lucene syntax.</summary>
public sealed record RecallRequest(string Query)
{
    /// <summary>How many candidates to return (the re-ranker's window). Default 200.</summary>
    public int TopN { get; init; } = 200;
    /// <summary>Which fields to score. Default <see cref="RecallFields.All"/>.</summary>
    public RecallFields Fields { get; init; } = RecallFields.All;
    /// <summary>
    /// Keep only products whose category path contains this category (any level). A path (<c>a/b</c>, or with
    /// <c>&gt;</c> or <c>|</c>) that is no product's level filters by its last level.
    /// </summary>
    public string? Category { get; init; }
    /// <summary>Keep only products of this brand.</summary>
    public string? Brand { get; init; }
    /// <summary>Keep only products priced at least this.</summary>
    public double? PriceMin { get; init; }
    /// <summary>Keep only products priced at most this.</summary>
    public double? PriceMax { get; init; }
}

/// <summary>The BM25 score each field gave one candidate (0 where the field did not match).</summary>
public readonly record struct FieldScores(float Title, float Bigram, float Brand, float Category, float Attributes);

/// <summary>One recalled candidate: its rank (0-based), id, combined BM25 score and per-field scores.</summary>
public sealed record RecallCandidate(int Rank, string ProductId, float Score, FieldScores Fields);

/// <summary>
/// The recall stage as later stages see it: BM25 candidates with per-field scores, stored products, and
/// content neighbours (MoreLikeThis). Implementations are thread-safe.
/// </summary>
public interface IProductRecall
{
    /// <summary>Number of products in the index.</summary>
    int Count { get; }

    /// <summary>The top candidates for a query; empty (never an exception) for empty or unmatched queries.</summary>
    IReadOnlyList<RecallCandidate> Recall(RecallRequest request);

    /// <summary>The stored product, or null when the id is unknown.</summary>
    Product? GetProduct(string productId);

    /// <summary>Products whose title, brand and category resemble this product's (Lucene MoreLikeThis), best first, excluding itself.</summary>
    IReadOnlyList<(string ProductId, float Score)> MoreLikeThis(string productId, int k);
}
