using SearchRec.Core;
using SearchRec.Index;
using SearchRec.Ranking.Features;
using SearchRec.Text;

namespace SearchRec.Ranking.Tests;

/// <summary>Splits on spaces; enough for tests whose queries are written pre-segmented.</summary>
internal sealed class SpaceTokenizer : ITokenizer
{
    public IReadOnlyList<string> Tokenize(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>A recall stage over an in-memory catalog: a product matches when its title shares a character with the query; score = shared characters.</summary>
internal sealed class FakeRecall(IEnumerable<Product> products) : IProductRecall
{
    private readonly Dictionary<string, Product> _products = products.ToDictionary(p => p.Id);

    public int Count => _products.Count;

    public IReadOnlyList<RecallCandidate> Recall(RecallRequest request)
    {
        var q = request.Query.Replace(" ", "", StringComparison.Ordinal);
        if (q.Length == 0) return [];
        var scored = _products.Values
            .Select(p => (p, s: (float)q.Count(c => p.Title.Contains(c, StringComparison.Ordinal))))
            .Where(x => x.s > 0)
            .OrderByDescending(x => x.s).ThenBy(x => x.p.Id, StringComparer.Ordinal)
            .Take(request.TopN)
            .ToList();
        return scored.Select((x, i) => new RecallCandidate(i, x.p.Id, x.s, new FieldScores(x.s, x.s / 2, 0, 0, 0))).ToList();
    }

    public Product? GetProduct(string productId) => _products.GetValueOrDefault(productId);

    public IReadOnlyList<(string ProductId, float Score)> MoreLikeThis(string productId, int k) => [];
}

internal static class Fixtures
{
    public static readonly Product[] Catalog = SearchRec.Testing.TinyCatalog.Products;

    public static FeatureExtractor Extractor() => new([new RecallFeatures(), new TextFeatures()]);

    public static RankingCandidate[] Candidates(string query)
    {
        var recall = new FakeRecall(Catalog);
        return recall.Recall(new RecallRequest(query)).Select(c => new RankingCandidate(c, recall.GetProduct(c.ProductId)!)).ToArray();
    }
}
