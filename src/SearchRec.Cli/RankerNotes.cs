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
    /// Where the ranker that <c>eval --ranker fused</c> scores was found, and a warning when its card says it was
    /// trained on the very queries or judgments being evaluated: its figures are then not held out. Empty when
    /// <paramref name="modelsDir"/> holds no ranker.
    /// </summary>
    public static IReadOnlyList<string> Source(string modelsDir, string? queries, string? qrels)
    {
        if (ModelLocations.Ranker(modelsDir) is not { } dir) return [];
        var lines = new List<string>();
        lines.Add(Path.GetFullPath(dir) == Path.GetFullPath(modelsDir)
            ? $"fused: the saved ranker in {dir}"
            : $"fused: the saved ranker in {dir} (found from --models {modelsDir})");
        var card = ModelCard.Read(dir);
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
}
