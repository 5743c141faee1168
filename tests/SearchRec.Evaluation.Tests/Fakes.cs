using SearchRec.Core;
using SearchRec.Evaluation.Rankers;
using SearchRec.Evaluation.Trec;
using SearchRec.Index;

namespace SearchRec.Evaluation.Tests;

/// <summary>A recall stage over a list: products whose title contains the query's first word, in list order, scored by position.</summary>
internal sealed class FakeRecall(IReadOnlyList<Product> products) : IProductRecall
{
    public List<RecallFields> FieldsAsked { get; } = [];

    public int Count => products.Count;

    public IReadOnlyList<RecallCandidate> Recall(RecallRequest request)
    {
        lock (FieldsAsked) FieldsAsked.Add(request.Fields);
        var result = new List<RecallCandidate>();
        foreach (var p in products)
        {
            if (result.Count == request.TopN) break;
            if (p.Title.Contains(request.Query.Split(' ')[0], StringComparison.Ordinal))
                result.Add(new RecallCandidate(result.Count, p.Id, 100 - result.Count, default));
        }
        return result;
    }

    public Product? GetProduct(string productId) => products.FirstOrDefault(p => p.Id == productId);

    public IReadOnlyList<(string ProductId, float Score)> MoreLikeThis(string productId, int k) => [];
}

/// <summary>A ranker that returns a fixed list per query.</summary>
internal sealed class FixedRanker(string name, Func<string, IReadOnlyList<string>> docs) : IEvalRanker
{
    public string Name => name;

    public IReadOnlyList<(string DocId, float Score)> Rank(string queryId, string query, int depth) =>
        docs(queryId).Take(depth).Select((d, i) => (d, (float)(1000 - i))).ToList();
}

internal static class Shop
{
    /// <summary>
    /// Ten queries q1..q10 of distinct texts "shoe qN" (all recall every shoe); each has one relevant doc "dN" and the
    /// catalog holds products d1..d10 titled "shoe N".
    /// </summary>
    public static (EvalContext Context, Qrels Qrels) Tiny(int queries = 10)
    {
        var products = Enumerable.Range(1, queries).Select(i => Product.Of("d" + i, "shoe " + i)).ToList();
        var qs = Enumerable.Range(1, queries).Select(i => new EvalQuery("q" + i, "shoe q" + i)).ToList();
        var qrels = new Qrels();
        for (var i = 1; i <= queries; i++) qrels.Set("q" + i, "d" + i, 1);
        return (new EvalContext(new FakeRecall(products), products, qs, qrels) { Folds = 5, Seed = 3 }, qrels);
    }
}
