using SearchRec.Core;
using SearchRec.Core.Statistics;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;

namespace SearchRec.Ranking.Training;

/// <summary>A cross-validated run with its confidence interval and its paired test against a reference run.</summary>
/// <param name="Run">The run.</param>
/// <param name="Ndcg10Ci">95% bootstrap interval of mean nDCG@10.</param>
/// <param name="PValueVsReference">Paired randomisation p-value of the nDCG@10 difference to the reference run (NaN for the reference itself).</param>
/// <param name="IsCombiner">True for the three combiners, false for single-feature baselines.</param>
public sealed record ComparedRun(CrossValidatedRun Run, (double Low, double High) Ndcg10Ci, double PValueVsReference, bool IsCombiner);

/// <summary>
/// Compares, by query-grouped cross-validation on the same folds, the three combiners against each score feature
/// used alone (the single rankers).
/// </summary>
public static class RankerComparison
{
    /// <summary>The single-ranker baselines: score features, higher is better.</summary>
    public static readonly string[] SingleRankers =
    [
        "bm25", "bm25_title", "bm25_bigram", "deep_query_item", "deep_user_item", "cf_item_item", "cf_als", "cf_repeat", "cf_category_affinity", "item_popularity",
    ];

    /// <summary>
    /// Runs the comparison. The reference for the paired tests is LambdaMART. <paramref name="progress"/> hears a
    /// line per fold.
    /// </summary>
    public static IReadOnlyList<ComparedRun> Run(RankingDataset data, RankerTrainingOptions options, Action<string>? progress = null)
    {
        Guard.NotNull(data);
        Guard.NotNull(options).Validate();
        var runs = new List<(CrossValidatedRun Run, bool Combiner)>();
        foreach (var name in SingleRankers)
        {
            var col = data.Schema.IndexOf(name);
            if (col < 0 || IsConstant(data, col)) continue;
            runs.Add((RankerTrainer.SingleFeature(name, data, name), false));
        }
        runs.Add((RankerTrainer.CrossValidate("weighted", data, d => WeightedTrainer.Train(d, options.Weighted), options.Folds, options.Seed, progress), true));
        runs.Add((RankerTrainer.CrossValidate("linear", data, d => LinearTrainer.Train(d, options.Linear), options.Folds, options.Seed, progress), true));
        var towers = TowerDeepFeatures.TowerCount(data.Schema);
        if (towers > 0)
        {
            // Per-tower data: one LambdaMART over all towers' columns would be another model; compare the tower-averaged
            // one (the reference) with the single-tower LambdaMART of tower 1 on the same folds.
            foreach (var k in Enumerable.Range(1, towers))
            {
                var col = data.Schema.IndexOf(TowerDeepFeatures.ColumnName("deep_query_item", k));
                if (!IsConstant(data, col)) runs.Add((RankerTrainer.SingleFeature($"deep_query_item#{k}", data, data.Schema.Names[col]), false));
            }
            var info = Enumerable.Range(1, towers).Select(k => new TowerInfo($"tower {k}", "")).ToArray();
            runs.Add((RankerTrainer.CrossValidate("lambdamart-tower1", data, d => TowerAveragedTrainer.TrainMember(d, options.LambdaMart, 0).Model, options.Folds, options.Seed, progress), true));
            runs.Add((RankerTrainer.CrossValidate(TowerAveragedRanker.KindName, data, d => TowerAveragedTrainer.Train(d, options.LambdaMart, info).Model, options.Folds, options.Seed, progress), true));
            // The stacked kind is then the reference; its inner folds see only each outer fold's training queries.
            if (options.Kind == CombinerKind.LambdaMartTowersStack)
                runs.Add((RankerTrainer.CrossValidate(TowerAveragedRanker.KindName + StackColumns.Linear.KindSuffix, data, d => StackedTrainer.TrainOverTowers(d, options.Linear, options.LambdaMart, info, options.Seed + 1).Model, options.Folds, options.Seed, progress), true));
            // The transfer model never saw these judgments, so every fold reads the same one.
            if (options.Kind == CombinerKind.LambdaMartTowersTransfer && options.Transfer is { } transfer)
                runs.Add((RankerTrainer.CrossValidate(TowerAveragedRanker.KindName + StackColumns.Transfer.KindSuffix, data, d => StackedTrainer.TrainTransferOverTowers(d, transfer, options.LambdaMart, info).Model, options.Folds, options.Seed, progress), true));
        }
        else runs.Add((RankerTrainer.CrossValidate("lambdamart", data, d => LambdaMartTrainer.Train(d, options.LambdaMart).Model, options.Folds, options.Seed, progress), true));
        var reference = runs[^1].Run.PerQuery.Select(m => m.Ndcg10).ToArray();
        return runs.Select(r =>
        {
            var nd = r.Run.PerQuery.Select(m => m.Ndcg10).ToArray();
            var p = ReferenceEquals(r.Run, runs[^1].Run) ? double.NaN : SignificanceTests.PairedRandomization(reference, nd);
            return new ComparedRun(r.Run, SignificanceTests.BootstrapCi(nd), p, r.Combiner);
        }).ToList();
    }

    private static bool IsConstant(RankingDataset data, int col)
    {
        var dim = data.Schema.Count;
        float? first = null;
        for (var r = 0; r < data.Rows; r++)
        {
            var v = data.Features[r * dim + col];
            if (float.IsNaN(v)) continue;
            if (first is null) first = v;
            else if (v != first) return false;
        }
        return true;
    }

    /// <summary>Copies the runs' means into a model card's metrics.</summary>
    public static void AddTo(ModelCard card, IReadOnlyList<ComparedRun> runs)
    {
        Guard.NotNull(card);
        Guard.NotNull(runs);
        foreach (var r in runs)
            card.Metrics[r.Run.Name] = new SortedDictionary<string, double>(StringComparer.Ordinal)
            {
                ["ndcg@10"] = r.Run.Ndcg10, ["mrr@10"] = r.Run.Mrr10, ["recall@100"] = r.Run.Recall100,
                ["ndcg@10_ci_low"] = r.Ndcg10Ci.Low, ["ndcg@10_ci_high"] = r.Ndcg10Ci.High,
            };
    }
}
