using SearchRec.Ranking.Features;
using SearchRec.Ranking.Training;

namespace SearchRec.Ranking.Tests;

/// <summary>Small random learning-to-rank sets whose labels follow known rules.</summary>
internal static class SyntheticData
{
    public static readonly FeatureSchema Schema = new(["signal", "interaction", "noise", "bm25", "has_extra", "extra"], 1);

    /// <summary>Grade 2 when signal is high and interaction is positive, 1 when only signal is high, else 0; extra is NaN for a third of rows.</summary>
    public static RankingDataset Make(int queries, int perQuery, int seed)
    {
        var rng = new Random(seed);
        var b = new RankingDatasetBuilder(Schema);
        for (var q = 0; q < queries; q++)
        {
            var f = new float[perQuery * Schema.Count];
            var labels = new float[perQuery];
            var items = new string[perQuery];
            var judgments = new Dictionary<string, int>();
            for (var i = 0; i < perQuery; i++)
            {
                var signal = (float)rng.NextDouble();
                var inter = (float)(rng.NextDouble() * 2 - 1);
                var noise = (float)rng.NextDouble();
                var hasExtra = rng.Next(3) != 0;
                var row = f.AsSpan(i * Schema.Count, Schema.Count);
                row[0] = signal;
                row[1] = inter;
                row[2] = noise;
                row[3] = signal * 0.5f + noise * 0.5f;
                row[4] = hasExtra ? 1 : 0;
                row[5] = hasExtra ? signal : float.NaN;
                labels[i] = signal > 0.7f ? (inter > 0 ? 2 : 1) : 0;
                items[i] = $"q{q}-i{i}";
                if (labels[i] > 0) judgments[items[i]] = (int)labels[i];
            }
            b.Add($"q{q}", f, labels, items, judgments);
        }
        return b.Build();
    }
}
