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
    public static readonly Product[] Catalog =
    [
        new("1", "华为 手机 Mate60 黑色", "华为", ["数码", "手机"], new Dictionary<string, IReadOnlyList<string>> { ["颜色"] = ["黑色"] }, 5999),
        new("2", "小米 手机 红米 note", "小米", ["数码", "手机"], new Dictionary<string, IReadOnlyList<string>>(), 1299),
        new("3", "华为 平板 MatePad", "华为", ["数码", "平板"], new Dictionary<string, IReadOnlyList<string>>(), 2999),
        Product.Of("4", "手机壳 硅胶 防摔"),
        Product.Of("5", "连衣裙 夏季 碎花"),
        Product.Of("6", "黑色 连衣裙 长款"),
    ];

    public static FeatureExtractor Extractor() => new([new RecallFeatures(), new TextFeatures()]);

    public static RankingCandidate[] Candidates(string query)
    {
        var recall = new FakeRecall(Catalog);
        return recall.Recall(new RecallRequest(query)).Select(c => new RankingCandidate(c, recall.GetProduct(c.ProductId)!)).ToArray();
    }
}
