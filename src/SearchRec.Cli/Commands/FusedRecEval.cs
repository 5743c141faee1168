using System.Globalization;
using SearchRec.Collab.Models;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Training;
using SearchRec.Evaluation.Recommendation;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Ranking.NextItem;
using ModelCard = SearchRec.Ranking.Models.ModelCard;

namespace SearchRec.Cli.Commands;

/// <summary>
/// A saved next-item ranker as an <c>eval-rec</c> model (<c>--model fused --ranker DIR</c>): only the combiner is
/// loaded; the collaborative models, item activity and behaviour tower it reads are rebuilt from the split's
/// training events (everything before the cut), as <c>train-ranker</c> built them for its own test users.
/// </summary>
internal static class FusedRecEval
{
    /// <summary>The model name <c>eval-rec --model</c> accepts for a saved next-item ranker.</summary>
    internal const string Name = "fused";

    /// <summary>Reads the ranker and its card, refusing a search ranker and a ranker whose labels reach past <paramref name="cut"/>.</summary>
    internal static (IRankerModel Model, NextItemRankerInfo Info) Load(string dir, long cut)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"--ranker: {dir}: no such folder");
        var model = NextItemRecommender.ReadRanker(dir);
        NextItemRankerInfo info;
        try { info = NextItemRankerInfo.Read(ModelCard.Read(dir)); }
        // Its messages name the card, not its file.
        catch (InvalidDataException e) when (e.Message.StartsWith("model card: ", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{Path.Combine(dir, "model-card.json")}: {e.Message["model card: ".Length..]}", e);
        }
        if (info.Cut is { } trained && cut < trained)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"--ranker {dir} learned from behaviour up to {DateTimeOffset.FromUnixTimeSeconds(trained):yyyy-MM-dd HH:mm}Z, after the cut {DateTimeOffset.FromUnixTimeSeconds(cut):yyyy-MM-dd HH:mm}Z: it would be scored on what it was trained on. Evaluate it at its own cut or later, or retrain it with --cut {cut}."));
        return (model, info);
    }

    internal static RecEvalResult Evaluate(RecSplit split, CollabModels models, IRankerModel model, NextItemRankerInfo info, IReadOnlyList<int> ks, Action<string> log)
    {
        var dir = Path.Combine(Path.GetTempPath(), "searchrec-fused-eval-" + Guid.NewGuid().ToString("N"));
        BehaviourScorer? tower = null;
        try
        {
            if (info.TowerEpochs > 0)
            {
                // split.Train holds only events before the cut: the tower never sees the truth.
                DeepTraining.TrainBehaviour(split.Train, dir, new DeepTrainingOptions { BehaviourEpochs = info.TowerEpochs }, log);
                tower = BehaviourScorer.Open(dir);
            }
            var recommender = new NextItemRecommender(model, new NextItemSources(models, ItemActivity.Build(split.Train, split.Cut), tower), info.PerSource);
            var kMax = ks.Max();
            var lists = new long[split.Test.Count][];
            for (var u = 0; u < lists.Length; u++)
            {
                var (user, history, _) = split.Test[u];
                // Ordered as train-ranker orders its test users' histories: events of the same second keep their file order.
                var top = recommender.Recommend(new UserHistory(user, history.OrderByDescending(e => e.Timestamp).ToArray(), split.Cut), kMax);
                lists[u] = new long[top.Count];
                for (var r = 0; r < top.Count; r++) lists[u][r] = top[r].ItemId;
                if ((u + 1) % 100 == 0) log($"{u + 1} of {lists.Length} users ranked");
            }
            return RecEvaluator.Score(Name, split, lists, ks, models.ItemCount);
        }
        finally
        {
            tower?.Dispose();
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
