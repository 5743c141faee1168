using System.Globalization;
using SearchRec.Core;
using SearchRec.Index;

namespace SearchRec.Ranking.Features;

/// <summary>
/// A click-free popularity prior per product from an unjudged query log: how many log queries recall the product in
/// BM25's top <see cref="Depth"/>, and how many put it first. A title that many real queries land on is one shoppers
/// search for. Built once (<c>searchrec build-prior</c>) from queries that must not include evaluation queries.
/// Immutable after construction; thread-safe.
/// </summary>
public sealed class QueryLogPrior
{
    /// <summary>File name of the table in a models folder.</summary>
    public const string FileName = "query-log-prior.tsv";

    private readonly Dictionary<string, (int Hits, int First)> _counts;

    private QueryLogPrior(Dictionary<string, (int Hits, int First)> counts, int queries, int depth)
    {
        _counts = counts;
        Queries = queries;
        Depth = depth;
    }

    /// <summary>Number of log queries that were run.</summary>
    public int Queries { get; }

    /// <summary>How deep in each query's recall a product counts as retrieved.</summary>
    public int Depth { get; }

    /// <summary>Number of products retrieved by at least one log query.</summary>
    public int Products => _counts.Count;

    /// <summary>How many log queries recalled the product in their top <see cref="Depth"/>, and how many ranked it first (0, 0 when none did).</summary>
    public (int Hits, int First) For(string productId) => _counts.GetValueOrDefault(Guard.NotNull(productId));

    /// <summary>Runs every query of <paramref name="queries"/> through <paramref name="recall"/> and counts the products in each top <paramref name="depth"/>.</summary>
    public static QueryLogPrior Build(IProductRecall recall, IEnumerable<string> queries, int depth = 10, IProgress<int>? progress = null)
    {
        Guard.NotNull(recall);
        Guard.NotNull(queries);
        Guard.Positive(depth, nameof(depth));
        var counts = new Dictionary<string, (int Hits, int First)>(StringComparer.Ordinal);
        var n = 0;
        foreach (var q in queries)
        {
            if (string.IsNullOrWhiteSpace(q)) continue;
            n++;
            var top = recall.Recall(new RecallRequest(q) { TopN = depth });
            for (var i = 0; i < top.Count; i++)
            {
                var c = counts.GetValueOrDefault(top[i].ProductId);
                counts[top[i].ProductId] = (c.Hits + 1, c.First + (i == 0 ? 1 : 0));
            }
            if (n % 5_000 == 0) progress?.Report(n);
        }
        return new QueryLogPrior(counts, n, depth);
    }

    /// <summary>Writes <c>#queries Q depth D</c>, then <c>id&lt;TAB&gt;hits&lt;TAB&gt;first</c> lines.</summary>
    public void Save(string path)
    {
        Guard.NotNull(path);
        using var w = new StreamWriter(path);
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#queries\t{Queries}\tdepth\t{Depth}"));
        foreach (var (id, c) in _counts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{id}\t{c.Hits}\t{c.First}"));
    }

    /// <summary>Reads a table written by <see cref="Save"/>; throws naming the line of a malformed entry.</summary>
    public static QueryLogPrior Load(string path)
    {
        Guard.NotNull(path);
        var counts = new Dictionary<string, (int Hits, int First)>(StringComparer.Ordinal);
        int queries = -1, depth = -1, lineNo = 0;
        foreach (var line in SearchRec.Core.TextFiles.ReadLines(path))
        {
            lineNo++;
            var parts = line.Split('\t');
            if (lineNo == 1)
            {
                if (parts.Length != 4 || parts[0] != "#queries" || parts[2] != "depth" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out queries)
                    || !int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out depth))
                    throw new InvalidDataException($"{path}:1: expected '#queries<TAB>Q<TAB>depth<TAB>D'.");
                continue;
            }
            if (parts.Length != 3 || parts[0].Length == 0 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var hits)
                || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var first))
                throw new InvalidDataException($"{path}:{lineNo}: expected 'product_id<TAB>hits<TAB>first'.");
            counts[parts[0]] = (hits, first);
        }
        if (queries < 0) throw new InvalidDataException($"{path}: empty file (expected '#queries<TAB>Q<TAB>depth<TAB>D' first).");
        return new QueryLogPrior(counts, queries, depth);
    }
}

/// <summary>
/// The query-log prior as features: <c>prior_hits</c> = log(1 + log queries recalling the candidate in their top
/// k), <c>prior_first</c> = log(1 + log queries ranking it first). 0 means no log query found it.
/// </summary>
public sealed class PriorFeatures : IFeatureGroup
{
    private static readonly string[] Names = ["prior_hits", "prior_first"];
    private readonly QueryLogPrior _prior;

    /// <summary>Creates the group over a built prior.</summary>
    public PriorFeatures(QueryLogPrior prior) => _prior = Guard.NotNull(prior);

    /// <inheritdoc />
    public string Name => "prior";

    /// <inheritdoc />
    public int Version => 1;

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames => Names;

    /// <inheritdoc />
    public void Compute(RankingQuery query, ReadOnlySpan<RankingCandidate> candidates, FeatureWriter output)
    {
        for (var i = 0; i < candidates.Length; i++)
        {
            var (hits, first) = _prior.For(candidates[i].Product.Id);
            output.Set(i, 0, MathF.Log(1 + hits));
            output.Set(i, 1, MathF.Log(1 + first));
        }
    }
}
