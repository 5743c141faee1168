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
}
