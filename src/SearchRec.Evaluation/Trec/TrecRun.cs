using SearchRec.Core;

namespace SearchRec.Evaluation.Trec;

/// <summary>A ranker's output over a query set: per query, documents best first with their scores.</summary>
public sealed class TrecRun
{
    private static readonly IReadOnlyList<(string DocId, float Score)> Empty = [];
    private readonly Dictionary<string, IReadOnlyList<(string DocId, float Score)>> _byQuery = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>Creates an empty run.</summary>
    /// <param name="name">The run tag (the last column of a run file).</param>
    public TrecRun(string name) => Name = Guard.NotNull(name);

    /// <summary>The run tag.</summary>
    public string Name { get; }

    /// <summary>Queries in the order they were added.</summary>
    public IReadOnlyList<string> QueryIds => _order;

    /// <summary>A query's ranked documents; empty when the run has none for it.</summary>
    public IReadOnlyList<(string DocId, float Score)> this[string queryId] =>
        _byQuery.TryGetValue(queryId, out var r) ? r : Empty;

    /// <summary>Sets a query's ranking, dropping repeats of a document after its first (best) position.</summary>
    public void Set(string queryId, IReadOnlyList<(string DocId, float Score)> ranked)
    {
        Guard.NotNull(queryId);
        Guard.NotNull(ranked);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var clean = new List<(string, float)>(ranked.Count);
        foreach (var r in ranked) if (seen.Add(r.DocId)) clean.Add(r);
        if (!_byQuery.ContainsKey(queryId)) _order.Add(queryId);
        _byQuery[queryId] = clean;
    }

    /// <summary>The ranked document ids of a query.</summary>
    public IReadOnlyList<string> DocIds(string queryId)
    {
        var r = this[queryId];
        var ids = new string[r.Count];
        for (var i = 0; i < ids.Length; i++) ids[i] = r[i].DocId;
        return ids;
    }
}
