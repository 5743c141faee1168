using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Deep.Training;

namespace SearchRec.Deep.Scoring;

/// <summary>
/// The Taobao protocol for the behaviour tower: events before the cut are history; a test user is one with
/// history and with items after the cut, which are the truth. The user vector ranks every item with a
/// vector (seen items included, as repeats are common). HR@K, Recall@K, NDCG@K (binary gains) averaged over users.
/// </summary>
public static class BehaviourEvaluation
{
    /// <summary>Metrics of one run: test users and, per K, HR, Recall, NDCG.</summary>
    public sealed record Result(int Users, IReadOnlyList<(int K, double HitRate, double Recall, double Ndcg)> Rows)
    {
        /// <summary>
        /// The same metrics with the truth cut down to items with few training events: <c>cold</c> (none before the
        /// cut) and <c>rare</c> (at most <see cref="RareMaxEvents"/>, cold included); over the users who have such items.
        /// </summary>
        public IReadOnlyList<(string Segment, int Users, int K, double HitRate, double Recall)> Segments { get; init; } = [];
    }

    /// <summary>Most training events of an item counted as rare in <see cref="Result.Segments"/>.</summary>
    public const int RareMaxEvents = 2;

    /// <summary>
    /// Evaluates <paramref name="scorer"/> on <paramref name="events"/> split at <paramref name="cut"/>; with
    /// <paramref name="testUsers"/> only those users are scored (as <c>eval-rec</c> does with a <c>split-users</c> list),
    /// otherwise every user with history and items after the cut.
    /// </summary>
    public static Result Run(BehaviourScorer scorer, IReadOnlyList<UserEvent> events, long cut, IReadOnlyList<int> ks, IReadOnlySet<long>? testUsers = null)
    {
        Guard.NotNull(scorer); Guard.NotNull(events); Guard.NotNull(ks);
        var before = DeepTraining.Histories(events.Where(e => e.Timestamp < cut));
        var truth = new Dictionary<long, HashSet<string>>();
        foreach (var e in events)
        {
            if (e.Timestamp < cut) continue;
            if (testUsers is null ? !before.ContainsKey(e.UserId) : !testUsers.Contains(e.UserId)) continue;
            if (!truth.TryGetValue(e.UserId, out var set)) truth[e.UserId] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(BehaviourScorer.Key(e.ItemId));
        }
        var support = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in events)
            if (e.Timestamp < cut) support[BehaviourScorer.Key(e.ItemId)] = support.GetValueOrDefault(BehaviourScorer.Key(e.ItemId)) + 1;
        var maxK = ks.Max();
        var sums = new double[ks.Count, 3];
        var segSums = new double[2, ks.Count, 2];
        var segUsers = new int[2];
        var v = new float[scorer.Dimension];
        foreach (var (user, items) in truth)
        {
            var history = before.TryGetValue(user, out var h) ? h : [];
            scorer.EncodeUser(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(history), v);
            var top = scorer.Nearest(v, maxK);
            for (var ki = 0; ki < ks.Count; ki++)
            {
                var k = ks[ki];
                int hits = 0; double dcg = 0;
                for (var r = 0; r < Math.Min(k, top.Count); r++)
                    if (items.Contains(top[r].ItemId)) { hits++; dcg += 1 / Math.Log2(r + 2); }
                double ideal = 0;
                for (var r = 0; r < Math.Min(k, items.Count); r++) ideal += 1 / Math.Log2(r + 2);
                sums[ki, 0] += hits > 0 ? 1 : 0;
                sums[ki, 1] += (double)hits / items.Count;
                sums[ki, 2] += dcg / ideal;
            }
            for (var seg = 0; seg < 2; seg++)
            {
                var maxEvents = seg == 0 ? 0 : RareMaxEvents;
                var part = items.Where(i => support.GetValueOrDefault(i) <= maxEvents).ToHashSet(StringComparer.Ordinal);
                if (part.Count == 0) continue;
                segUsers[seg]++;
                for (var ki = 0; ki < ks.Count; ki++)
                {
                    var hits = 0;
                    for (var r = 0; r < Math.Min(ks[ki], top.Count); r++) if (part.Contains(top[r].ItemId)) hits++;
                    segSums[seg, ki, 0] += hits > 0 ? 1 : 0;
                    segSums[seg, ki, 1] += (double)hits / part.Count;
                }
            }
        }
        var n = Math.Max(1, truth.Count);
        var rows = new List<(int, double, double, double)>();
        for (var ki = 0; ki < ks.Count; ki++) rows.Add((ks[ki], sums[ki, 0] / n, sums[ki, 1] / n, sums[ki, 2] / n));
        var segments = new List<(string, int, int, double, double)>();
        for (var seg = 0; seg < 2; seg++)
            for (var ki = 0; ki < ks.Count; ki++)
            {
                var m = Math.Max(1, segUsers[seg]);
                segments.Add((seg == 0 ? "cold" : "rare", segUsers[seg], ks[ki], segSums[seg, ki, 0] / m, segSums[seg, ki, 1] / m));
            }
        return new Result(truth.Count, rows) { Segments = segments };
    }
}
