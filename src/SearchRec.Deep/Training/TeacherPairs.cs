using SearchRec.Core;

namespace SearchRec.Deep.Training;

/// <summary>One distilled training pair: a query, the teacher's best candidate and a hard negative (or null).</summary>
/// <param name="Query">The unjudged query.</param>
/// <param name="Positive">The candidate the teacher ranks first.</param>
/// <param name="Negative">BM25's first candidate when the teacher overrules it, else the teacher's second; null with one candidate.</param>
public readonly record struct TeacherPair(string Query, string Positive, string? Negative);

/// <summary>
/// Turns a judged teacher's scores over BM25's candidates of an unjudged query into a text-tower training pair
/// (distillation). The teacher (e.g. LambdaMART over BM25 and text features) knows what BM25 misses; its top
/// candidate becomes the positive. Where it overrules BM25, BM25's top is the hard negative, so the tower learns
/// exactly the cases in which BM25 alone is wrong.
/// </summary>
public static class TeacherPairs
{
    /// <summary>
    /// The pair of one query, or null when there is no candidate or the teacher's top two are within
    /// <paramref name="minMargin"/> (an unsure teacher teaches noise).
    /// </summary>
    /// <param name="query">The query text.</param>
    /// <param name="candidates">Candidate ids in BM25 order (best first).</param>
    /// <param name="teacherScores">The teacher's score of each candidate (higher is better); same length.</param>
    /// <param name="minMargin">Least gap between the teacher's first and second score. 0 keeps every query.</param>
    public static TeacherPair? Pick(string query, ReadOnlySpan<string> candidates, ReadOnlySpan<float> teacherScores, float minMargin = 0)
    {
        Guard.NotNull(query);
        if (candidates.Length != teacherScores.Length)
            throw new ArgumentException($"{candidates.Length} candidates but {teacherScores.Length} teacher scores.", nameof(teacherScores));
        if (!(minMargin >= 0)) throw new ArgumentOutOfRangeException(nameof(minMargin), minMargin, "minMargin must be non-negative.");
        if (candidates.Length == 0) return null;
        // Ties go to the better BM25 rank, so a teacher that cannot tell two apart never overrules BM25.
        int best = 0, second = -1;
        for (var i = 1; i < candidates.Length; i++)
        {
            if (teacherScores[i] > teacherScores[best]) { second = best; best = i; }
            else if (second < 0 || teacherScores[i] > teacherScores[second]) second = i;
        }
        if (second >= 0 && teacherScores[best] - teacherScores[second] < minMargin) return null;
        var negative = best != 0 ? candidates[0] : second >= 0 ? candidates[second] : null;
        return new TeacherPair(query, candidates[best], negative);
    }

    /// <summary>
    /// Up to <paramref name="negatives"/> pairs of one query, all with the teacher's top as positive and each with its
    /// own hard negative: BM25's top first where the teacher overrules it, then the teacher's next choices in order.
    /// Empty where <see cref="Pick"/> gives null. More negatives teach more of the teacher's order, not just its top.
    /// </summary>
    /// <param name="query">The query text.</param>
    /// <param name="candidates">Candidate ids in BM25 order (best first).</param>
    /// <param name="teacherScores">The teacher's score of each candidate; same length.</param>
    /// <param name="negatives">Pairs (hard negatives) per query, at least 1.</param>
    /// <param name="minMargin">As in <see cref="Pick"/>.</param>
    public static IReadOnlyList<TeacherPair> PickMany(string query, ReadOnlySpan<string> candidates, ReadOnlySpan<float> teacherScores, int negatives, float minMargin = 0)
    {
        if (negatives < 1) throw new ArgumentOutOfRangeException(nameof(negatives), negatives, "negatives must be at least 1.");
        if (Pick(query, candidates, teacherScores, minMargin) is not { } first) return [];
        var result = new List<TeacherPair>(negatives) { first };
        if (first.Negative is null) return result;
        // The teacher's order of the rest (stable: ties keep BM25's order).
        var order = new int[candidates.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var scores = teacherScores.ToArray();
        Array.Sort(order, (a, b) => scores[b] != scores[a] ? scores[b].CompareTo(scores[a]) : a.CompareTo(b));
        for (var k = 1; k < order.Length && result.Count < negatives; k++)
        {
            var id = candidates[order[k]];
            if (id == first.Positive || id == first.Negative) continue;
            result.Add(first with { Negative = id });
        }
        return result;
    }
}
