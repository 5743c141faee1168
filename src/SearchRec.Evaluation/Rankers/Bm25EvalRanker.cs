using SearchRec.Index;

namespace SearchRec.Evaluation.Rankers;

/// <summary>Plain BM25 recall on some of the index's fields, as an evaluation ranker.</summary>
internal sealed class Bm25EvalRanker(string name, IProductRecall index, RecallFields fields) : IEvalRanker
{
    public string Name { get; } = name;

    public IReadOnlyList<(string DocId, float Score)> Rank(string queryId, string query, int depth)
    {
        var candidates = index.Recall(new RecallRequest(query) { TopN = depth, Fields = fields });
        var result = new (string, float)[candidates.Count];
        for (var i = 0; i < result.Length; i++) result[i] = (candidates[i].ProductId, candidates[i].Score);
        return result;
    }
}
