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
            return RecEvaluator.Score(Name, split, lists, ks, trainingItems);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
