using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Training;

namespace SearchRec.Ranking.NextItem;

/// <summary>
/// Next-item ranking: candidates pooled from the collaborative sources (repeat, item-to-item, ALS, category,
/// popularity), described by their scores, their rank in each source, and what the user did with the item, then
/// re-ranked by a learned combiner.
/// </summary>
public static class NextItemRanking
{
    /// <summary>The sources candidates are pooled from.</summary>
    public static readonly string[] Sources = ["repeat", "item-item", "als", "category", "popularity"];

    /// <summary>The feature columns (version 1).</summary>
    public static readonly FeatureSchema Schema = new(
    [
        "cf_repeat", "cf_item_item", "cf_als", "cf_category_affinity", "item_popularity",
        "rank_repeat", "rank_item_item", "rank_als", "rank_category", "rank_popularity", "sources",
        "user_views", "user_favs", "user_carts", "user_buys", "hours_since_touch", "history_len",
    ], 1);

    /// <summary>
    /// Pools up to <paramref name="perSource"/> items from each source for the history, and writes one feature row
    /// per candidate. Returns the candidate ids (the matrix has one row each).
    /// </summary>
    public static (long[] Items, float[] Features) Candidates(CollabModels models, UserHistory history, int perSource)
    {
        Guard.NotNull(models);
        Guard.NotNull(history);
        Guard.Positive(perSource);
        var ranks = new Dictionary<long, float[]>();
        for (var s = 0; s < Sources.Length; s++)
        {
            var list = models.Scorer(Sources[s]).TopK(history, perSource);
            for (var r = 0; r < list.Count; r++)
            {
                if (!ranks.TryGetValue(list[r].ItemId, out var rk)) ranks[list[r].ItemId] = rk = [float.NaN, float.NaN, float.NaN, float.NaN, float.NaN];
                rk[s] = r;
            }
        }
        var items = ranks.Keys.ToArray();
        var dim = Schema.Count;
        var m = new float[items.Length * dim];
        var scores = new float[items.Length];
        string[] scorerCols = ["repeat", "item-item", "als", "category"];
        for (var c = 0; c < scorerCols.Length; c++)
        {
            models.Scorer(scorerCols[c]).Score(history, items, scores);
            for (var i = 0; i < items.Length; i++) m[i * dim + c] = scores[i];
        }
        var touched = new Dictionary<long, (int V, int F, int C, int B, long Last)>();
        foreach (var e in history.Events)
        {
            var t = touched.GetValueOrDefault(e.ItemId);
            t = e.Behavior switch
            {
                Behavior.View => t with { V = t.V + 1 },
                Behavior.Favorite => t with { F = t.F + 1 },
                Behavior.Cart => t with { C = t.C + 1 },
                _ => t with { B = t.B + 1 },
            };
            touched[e.ItemId] = t with { Last = Math.Max(t.Last, e.Timestamp) };
        }
        for (var i = 0; i < items.Length; i++)
        {
            var row = m.AsSpan(i * dim, dim);
            var pop = models.PopularityOf(items[i]);
            row[4] = float.IsNaN(pop) ? float.NaN : MathF.Log(1 + MathF.Max(0, pop));
            var rk = ranks[items[i]];
            var count = 0;
            for (var s = 0; s < 5; s++)
            {
                row[5 + s] = float.IsNaN(rk[s]) ? float.NaN : MathF.Log2(2 + rk[s]);
                if (!float.IsNaN(rk[s])) count++;
            }
            row[10] = count;
            if (touched.TryGetValue(items[i], out var u))
            {
                row[11] = u.V; row[12] = u.F; row[13] = u.C; row[14] = u.B;
                row[15] = MathF.Log(1 + Math.Max(0, history.AsOf - u.Last) / 3600f);
            }
            else
            {
                row[11] = row[12] = row[13] = row[14] = 0;
                row[15] = float.NaN;
            }
            row[16] = MathF.Log(1 + history.Count);
        }
        return (items, m);
    }

    /// <summary>
    /// Training data for the combiner: models trained on events before <paramref name="innerCut"/>; for each user,
    /// candidates from their history before it, labelled by their strongest behaviour on the item in
    /// [<paramref name="innerCut"/>, <paramref name="cut"/>) (pv 1, fav 2, cart 3, buy 4; 0 otherwise).
    /// </summary>
    public static RankingDataset TrainingData(CollabModels innerModels, IReadOnlyList<UserEvent> events, long innerCut, long cut,
        IReadOnlySet<long> excludeUsers, int perSource, Action<string>? log = null)
    {
        var b = new RankingDatasetBuilder(Schema);
        AddTrainingData(b, innerModels, events, innerCut, cut, excludeUsers, perSource, log);
        return b.Build();
    }

    /// <summary>As <see cref="TrainingData"/>, adding the groups (ids <c>user@innerCut</c>) to an existing builder.</summary>
    public static void AddTrainingData(RankingDatasetBuilder b, CollabModels innerModels, IReadOnlyList<UserEvent> events, long innerCut, long cut,
        IReadOnlySet<long> excludeUsers, int perSource, Action<string>? log = null)
    {
        Guard.NotNull(b);
        Guard.NotNull(innerModels);
        Guard.NotNull(events);
        Guard.NotNull(excludeUsers);
        var before = new Dictionary<long, List<UserEvent>>();
        var labels = new Dictionary<long, Dictionary<long, int>>();
        foreach (var e in events)
        {
            if (excludeUsers.Contains(e.UserId) || e.Timestamp >= cut) continue;
            if (e.Timestamp < innerCut) (before.TryGetValue(e.UserId, out var l) ? l : before[e.UserId] = []).Add(e);
            else
            {
                var g = (int)e.Behavior + 1;
                var map = labels.TryGetValue(e.UserId, out var mm) ? mm : labels[e.UserId] = [];
                map[e.ItemId] = Math.Max(map.GetValueOrDefault(e.ItemId), g);
            }
        }
        var done = 0;
        foreach (var (user, truth) in labels.OrderBy(kv => kv.Key))
        {
            if (!before.TryGetValue(user, out var hist) || hist.Count == 0) continue;
            hist.Sort((x, y) => y.Timestamp.CompareTo(x.Timestamp));
            var h = new UserHistory(user, hist, innerCut);
            var (items, f) = Candidates(innerModels, h, perSource);
            var y = new float[items.Length];
            var hits = 0;
            for (var i = 0; i < items.Length; i++)
            {
                y[i] = truth.GetValueOrDefault(items[i]);
                if (y[i] > 0) hits++;
            }
            if (hits == 0) continue; // a group without any positive teaches LambdaMART nothing
            b.Add(user.ToString(System.Globalization.CultureInfo.InvariantCulture) + "@" + innerCut.ToString(System.Globalization.CultureInfo.InvariantCulture), f, y, items.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                truth.ToDictionary(kv => kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), kv => kv.Value));
            if (++done % 100 == 0) log?.Invoke($"next-item training groups: {done}");
        }
    }
}
