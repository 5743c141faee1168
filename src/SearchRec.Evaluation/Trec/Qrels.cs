using SearchRec.Core;

namespace SearchRec.Evaluation.Trec;

/// <summary>Graded judgments per query (grade &gt; 0 is relevant; unjudged documents count as not relevant).</summary>
public sealed class Qrels
{
    private static readonly IReadOnlyDictionary<string, int> None = new Dictionary<string, int>();
    private readonly Dictionary<string, Dictionary<string, int>> _byQuery = new(StringComparer.Ordinal);

    /// <summary>Query ids with at least one judgment.</summary>
    public IEnumerable<string> QueryIds => _byQuery.Keys;

    /// <summary>Number of judged queries.</summary>
    public int Count => _byQuery.Count;

    /// <summary>Sets a grade (a later grade for the same pair replaces the earlier one).</summary>
    public void Set(string queryId, string docId, int grade)
    {
        Guard.NotNull(queryId);
        Guard.NotNull(docId);
        if (!_byQuery.TryGetValue(queryId, out var docs)) _byQuery[queryId] = docs = new Dictionary<string, int>(StringComparer.Ordinal);
        docs[docId] = grade;
    }

    /// <summary>The judgments of a query; empty when it has none.</summary>
    public IReadOnlyDictionary<string, int> For(string queryId) =>
        _byQuery.TryGetValue(queryId, out var docs) ? docs : None;

    /// <summary>True when the query has at least one relevant (grade &gt; 0) document.</summary>
    public bool HasRelevant(string queryId)
    {
        if (!_byQuery.TryGetValue(queryId, out var docs)) return false;
        foreach (var g in docs.Values) if (g > 0) return true;
        return false;
    }
}
