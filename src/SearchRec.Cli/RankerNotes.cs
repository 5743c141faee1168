using System.Globalization;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;

namespace SearchRec.Cli;

/// <summary>One-line notes the commands print about a ranker they were given.</summary>
internal static class RankerNotes
{
    /// <summary>
    /// Says so when the ranker in <paramref name="modelsDir"/> was trained on another recall window than the one it
    /// re-ranks here (its rank features then see positions it never learned from); null when they agree or the card is silent.
    /// </summary>
    public static string? Window(string modelsDir, int window)
    {
        var dir = ModelLocations.Ranker(modelsDir) ?? modelsDir;
        if (!Directory.Exists(dir) || ModelCard.Read(dir)?.TrainingWindow() is not { } trained || trained == window) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"note: the ranker was trained on a recall window of {trained:N0} and re-ranks {window:N0} here (--window sets it)");
    }

    /// <summary>
    /// Where the ranker that <c>eval --ranker fused</c> scores was found, and, for a card written before training query
    /// texts were fingerprinted, a warning when it names the very query or qrels files being evaluated (the paths alone;
    /// <see cref="TrainedOn"/> checks the texts of newer cards). Empty when <paramref name="modelsDir"/> holds no ranker.
    /// </summary>
    public static IReadOnlyList<string> Source(string modelsDir, string? queries, string? qrels)
    {
        if (ModelLocations.Ranker(modelsDir) is not { } dir) return [];
        var lines = new List<string>();
        lines.Add(Path.GetFullPath(dir) == Path.GetFullPath(modelsDir)
            ? $"fused: the saved ranker in {dir}"
            : $"fused: the saved ranker in {dir} (found from --models {modelsDir})");
        var card = ModelCard.Read(dir);
        if (card is { TrainingQueries.Count: > 0 }) return lines;
        foreach (var (key, given) in new[] { ("queries", queries), ("qrels", qrels) })
        {
            // The card records the path as typed at training, with a count after it: "queries.tsv (125 judged)".
            if (given is null || card is null || !card.Data.TryGetValue(key, out var recorded)) continue;
            var path = recorded.Split(" (", 2)[0];
            if (path.Length > 0 && Path.GetFullPath(path) == Path.GetFullPath(given))
            {
                lines.Add($"warning: that ranker was trained on these {key} ({recorded}): its fused figures are not held out (--ranker lambdamart cross-validates instead)");
                break;
            }
        }
        return lines;
    }

    /// <summary>
    /// A warning when some of the evaluated queries' <paramref name="texts"/> are among the judged queries the saved
    /// ranker in <paramref name="modelsDir"/> learnt from (its card's fingerprints: the same texts under any file,
    /// path or id, a superset of them, a traditional or differently spaced twin); null when none is, or when the card
    /// records no texts.
    /// </summary>
    public static string? TrainedOn(string modelsDir, IReadOnlyCollection<string> texts)
    {
        if (ModelLocations.Ranker(modelsDir) is not { } dir || ModelCard.Read(dir) is not { TrainingQueries.Count: > 0 } card) return null;
        var seen = card.CountTrainedOn(texts);
        if (seen == 0) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"warning: {seen:N0} of the {texts.Count:N0} evaluated queries are among the {card.TrainingQueries.Count:N0} query texts that ranker was trained on: its fused figures on {(seen == texts.Count ? "them" : "those")} are not held out (--ranker lambdamart cross-validates instead)");
    }
}
