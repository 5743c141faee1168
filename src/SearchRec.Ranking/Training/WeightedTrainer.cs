using SearchRec.Core;
using SearchRec.Ranking.Models;

namespace SearchRec.Ranking.Training;

/// <summary>Options of the weighted average. Validate with <see cref="Validate"/>.</summary>
public sealed class WeightedOptions
{
    /// <summary>
    /// The score features to average; those absent from the schema are skipped. Default: the BM25 scores, the
    /// deep scores and the collaborative scores.
    /// </summary>
    public IList<string> Features { get; set; } =
    [
        "bm25", "bm25_title", "bm25_bigram", "bm25_brand", "bm25_category", "bm25_attributes",
        "deep_query_item", "deep_user_item", "cf_item_item", "cf_als", "cf_repeat", "cf_category_affinity", "item_popularity",
    ];

    /// <summary>Rounds of coordinate ascent over the weights. Default 3.</summary>
    public int Rounds { get; set; } = 3;

    /// <summary>Throws naming the first bad field.</summary>
    public WeightedOptions Validate()
    {
        Guard.NotNull(Features, "WeightedOptions.Features");
        if (Features.Count == 0) throw new ArgumentException("WeightedOptions.Features must name at least one feature.");
        Guard.Positive(Rounds, "WeightedOptions.Rounds");
        return this;
    }
}

/// <summary>
/// Tunes a <see cref="WeightedRanker"/>: coordinate ascent on mean nDCG@10 of the training queries, trying each
/// weight on a fixed grid while the others stay put (as RankLib's coordinate ascent, without restarts).
/// </summary>
public static class WeightedTrainer
{
    private static readonly float[] Grid = [0f, 0.05f, 0.1f, 0.2f, 0.35f, 0.5f, 0.75f, 1f, 1.5f, 2f, 3f, 5f];

    /// <summary>Tunes weights on all of <paramref name="data"/>.</summary>
    public static WeightedRanker Train(RankingDataset data, WeightedOptions options)
    {
        Guard.NotNull(data);
        Guard.NotNull(options).Validate();
        // A feature constant over the training data (e.g. brand BM25 on a catalog without brands) cannot be weighted.
        var features = options.Features.Where(f => data.Schema.IndexOf(f) >= 0 && !IsConstant(data, data.Schema.IndexOf(f))).Distinct().ToList();
        if (features.Count == 0)
            throw new ArgumentException($"None of the weighted features ({string.Join(", ", options.Features)}) is in the schema and varies in the training data.");
        var weights = Enumerable.Repeat(1f, features.Count).ToArray();
        var scores = new float[data.Rows];
        double Evaluate()
        {
            var model = new WeightedRanker(data.Schema, features, weights);
            foreach (var g in data.Groups)
                model.Score(data.Features.AsSpan(g.Start * data.Schema.Count, g.Count * data.Schema.Count), g.Count, scores.AsSpan(g.Start, g.Count));
            return DatasetMetrics.MeanNdcg10(data, scores);
        }
        var best = Evaluate();
        for (var round = 0; round < options.Rounds; round++)
        {
            var improved = false;
            for (var k = 0; k < features.Count; k++)
            {
                var keep = weights[k];
                var bestW = keep;
                foreach (var w in Grid)
                {
                    if (w == keep) continue;
                    weights[k] = w;
                    if (weights.Sum() <= 0) continue;
                    var m = Evaluate();
                    if (m > best + 1e-9)
                    {
                        best = m;
                        bestW = w;
                        improved = true;
                    }
                }
                weights[k] = bestW;
            }
            if (!improved) break;
        }
        return new WeightedRanker(data.Schema, features, weights);
    }

    private static bool IsConstant(RankingDataset data, int col)
    {
        var dim = data.Schema.Count;
        var first = float.NaN;
        for (var r = 0; r < data.Rows; r++)
        {
            var v = data.Features[r * dim + col];
            if (float.IsNaN(v)) continue;
            if (float.IsNaN(first)) first = v;
            else if (v != first) return false;
        }
        return true;
    }
}
