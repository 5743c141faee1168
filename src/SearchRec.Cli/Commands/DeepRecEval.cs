using System.Globalization;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Training;
using SearchRec.Evaluation.Metrics;
using SearchRec.Evaluation.Recommendation;

namespace SearchRec.Cli.Commands;

/// <summary>
/// The deep behaviour tower as an <c>eval-rec</c> model (<c>--model deep</c>): trained on the split's training events
/// only (everything before the cut), then scored with the same metrics as the collaborative models.
/// </summary>
internal static class DeepRecEval
{
    /// <summary>The model name <c>eval-rec --model</c> accepts for the behaviour tower.</summary>
    internal const string Name = "deep";

    internal static RecEvalResult Evaluate(RecSplit split, IReadOnlyList<int> ks, int trainingItems, Action<string> log)
    {
        var dir = Path.Combine(Path.GetTempPath(), "searchrec-deep-eval-" + Guid.NewGuid().ToString("N"));
        try
        {
            // split.Train holds only events before the cut: the tower never sees the truth.
            DeepTraining.TrainBehaviour(split.Train, dir, new DeepTrainingOptions(), log);
            using var scorer = BehaviourScorer.Open(dir);
            var kMax = ks.Max();
            var lists = new long[split.Test.Count][];
            for (var u = 0; u < lists.Length; u++)
            {
                var top = scorer.Recommend(split.Test[u].History, kMax);
                lists[u] = top.Select(t => long.Parse(t.ItemId, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();
            }
            var metrics = new Dictionary<string, double>();
            foreach (var k in ks)
            {
                double hr = 0, recall = 0, ndcg = 0;
                var covered = new HashSet<long>();
                for (var u = 0; u < lists.Length; u++)
                {
                    var grades = split.Test[u].Truth.ToDictionary(i => i, _ => 1);
                    hr += RankingMetrics.HitRate(lists[u], grades, k);
                    recall += RankingMetrics.Recall(lists[u], grades, k);
                    ndcg += RankingMetrics.Ndcg(lists[u], grades, k);
                    foreach (var i in lists[u].Take(k)) covered.Add(i);
                }
                var n = Math.Max(1, lists.Length);
                var key = k.ToString(CultureInfo.InvariantCulture);
                metrics["hr@" + key] = hr / n;
                metrics["recall@" + key] = recall / n;
                metrics["ndcg@" + key] = ndcg / n;
                metrics["coverage@" + key] = trainingItems > 0 ? (double)covered.Count / trainingItems : 0;
            }
            return new RecEvalResult(Name, lists.Length, metrics);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
