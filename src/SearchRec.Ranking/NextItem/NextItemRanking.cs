using System.Globalization;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Deep.Scoring;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Training;

namespace SearchRec.Ranking.NextItem;

/// <summary>What next-item features are computed from: models and item activity of the events before one time, and optionally a behaviour tower trained on the same events.</summary>
/// <param name="Models">Collaborative models trained on events before the time the histories are cut at.</param>
/// <param name="Activity">Item activity of the same events (read as of each history's time).</param>
/// <param name="Tower">Behaviour towers trained on the same events, or null (the tower features are then missing).</param>
public sealed record NextItemSources(CollabModels Models, ItemActivity Activity, BehaviourScorer? Tower = null);


/// <summary>
/// Next-item ranking: candidates pooled from the collaborative sources (repeat, item-to-item, ALS, category, blend,
/// popularity), described by their scores and ranks in each source, what the user did with the item and when, the
/// item's own recency and trend, the user's category affinity and the behaviour tower's score, then re-ranked by a
/// learned combiner.
/// </summary>
public static class NextItemRanking
{
    /// <summary>The sources candidates are pooled from.</summary>
    public static readonly string[] Sources = ["repeat", "item-item", "als", "category", "popularity", "blend"];

    /// <summary>
    /// The feature columns (version 2: blend, recency, session, item trend, category and tower features added;
    /// version 3: on how many distinct days and sessions the user touched the item).
    /// </summary>
    public static readonly FeatureSchema Schema = new(
    [
        "cf_repeat", "cf_item_item", "cf_als", "cf_category_affinity", "cf_blend", "item_popularity",
        "rank_repeat", "rank_item_item", "rank_als", "rank_category", "rank_popularity", "rank_blend", "sources",
        "user_views", "user_favs", "user_carts", "user_buys", "last_behaviour",
        "hours_since_touch", "events_since_touch", "recency_rank", "touches_last_session", "touches_last_day",
        "ii_last_item", "item_events_last_day", "item_trend", "item_hours_since_event", "item_age_hours",
        "category_share", "category_is_latest", "category_session_share",
        "history_len", "user_events_last_day", "user_hours_since_last", "session_len",
        "deep_user_item", "has_deep_user",
        "days_touched", "sessions_touched",
    ], 3);

    /// <summary>
    /// True for a next-item schema of any version (it reads what a user did with a candidate, by source rank), so
    /// that a search command given a next-item ranker can say what it is instead of which search features are missing.
    /// </summary>
    public static bool IsNextItemSchema(FeatureSchema schema)
    {
        Guard.NotNull(schema);
        return schema.IndexOf("rank_repeat") >= 0 && schema.IndexOf("user_views") >= 0;
    }

    private const long SessionGap = 30 * 60;

    /// <summary>
    /// Pools up to <paramref name="perSource"/> items from each source (every item of the history from repeat) for the history, and writes one feature row
    /// per candidate. Returns the candidate ids (the matrix has one row each).
    /// </summary>
    public static (long[] Items, float[] Features) Candidates(NextItemSources sources, UserHistory history, int perSource) =>
        Pool(sources, history, perSource, pooledFeatures: false);

    /// <summary>
    /// <see cref="Candidates"/>, with <paramref name="pooledFeatures"/> the feature rows written into an array rented
    /// from <see cref="System.Buffers.ArrayPool{T}.Shared"/> (it may be longer than the rows: read <c>Items.Length</c>
    /// rows), which the caller returns once it has scored them.
    /// </summary>
    internal static (long[] Items, float[] Features) Pool(NextItemSources sources, UserHistory history, int perSource, bool pooledFeatures)
    {
        Guard.NotNull(sources);
        Guard.NotNull(history);
        Guard.Positive(perSource);
        var models = sources.Models;
        // Each candidate's rank in each source: a row of Sources.Length in one pooled block (a float[] per candidate
        // before), found by the candidate's row number.
        var lists = new IReadOnlyList<ScoredItem>[Sources.Length];
        var listed = 0;
        for (var s = 0; s < Sources.Length; s++)
        {
            // Every item of the history is a candidate: a sixth of the truth items are ones the user touched before, and
            // a long history would otherwise crowd some of them out of the repeat source's top.
            lists[s] = models.Scorer(Sources[s]).TopK(history, s == 0 ? Math.Max(perSource, history.Count) : perSource);
            listed += lists[s].Count;
        }
        var rowOf = new Dictionary<long, int>(listed);
        var rankRows = System.Buffers.ArrayPool<float>.Shared.Rent(Math.Max(1, listed * Sources.Length));
        try
        {
            for (var s = 0; s < Sources.Length; s++)
            {
                var list = lists[s];
                for (var r = 0; r < list.Count; r++)
                {
                    if (!rowOf.TryGetValue(list[r].ItemId, out var row))
                    {
                        rowOf[list[r].ItemId] = row = rowOf.Count;
                        rankRows.AsSpan(row * Sources.Length, Sources.Length).Fill(float.NaN);
                    }
                    rankRows[row * Sources.Length + s] = r;
                }
            }
            return Rows(sources, history, rowOf, rankRows, pooledFeatures);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(rankRows);
        }
    }

    // The candidates' rows of features, given each candidate's row of source ranks (rankRows, by rowOf).
    private static (long[] Items, float[] Features) Rows(NextItemSources sources, UserHistory history, Dictionary<long, int> rowOf, float[] rankRows, bool pooled)
    {
        var models = sources.Models;
        var items = new long[rowOf.Count];
        rowOf.Keys.CopyTo(items, 0);
        Array.Sort(items); // a stable order, so results do not depend on dictionary layout
        var dim = Schema.Count;
        // Every cell of each row is written below, so a rented array's old contents never show.
        var m = pooled ? System.Buffers.ArrayPool<float>.Shared.Rent(Math.Max(1, items.Length * dim)) : new float[items.Length * dim];
        var scores = new float[items.Length];
        string[] scorerCols = ["repeat", "item-item", "als", "category", "blend"];
        for (var c = 0; c < scorerCols.Length; c++)
        {
            models.Scorer(scorerCols[c]).Score(history, items, scores);
            for (var i = 0; i < items.Length; i++) m[i * dim + c] = scores[i];
        }

        // What the user did: per item counts, last touch (time, position, behaviour), distinct-item recency rank.
        var events = history.Events; // most recent first
        var asOf = history.AsOf;
        // Sized for the history up front: grown one resize at a time they allocated several times over.
        var touched = new Dictionary<long, Touch>(events.Length);
        var sessionLen = 0;
        var catCounts = new Dictionary<long, int>(Math.Min(events.Length, 64));
        var catSession = new Dictionary<long, int>(Math.Min(events.Length, 64));
        var userLastDay = 0;
        var distinct = 0;
        var sessionIndex = 0;
        for (var j = 0; j < events.Length; j++)
        {
            var e = events[j];
            var inSession = j == 0 || (sessionLen == j && events[j - 1].Timestamp - e.Timestamp <= SessionGap);
            if (j > 0 && events[j - 1].Timestamp - e.Timestamp > SessionGap) sessionIndex++;
            var dayIndex = (int)(Math.Max(0, asOf - e.Timestamp) / 86_400);
            if (inSession) sessionLen = j + 1;
            var lastDay = asOf - e.Timestamp <= 86_400;
            if (lastDay) userLastDay++;
            catCounts[e.CategoryId] = catCounts.GetValueOrDefault(e.CategoryId) + 1;
            if (inSession) catSession[e.CategoryId] = catSession.GetValueOrDefault(e.CategoryId) + 1;
            if (!touched.TryGetValue(e.ItemId, out var t))
                t = new Touch { LastTime = e.Timestamp, LastPos = j, LastBehaviour = (int)e.Behavior, RecencyRank = distinct++, DayIndex = -1, SessionIndex = -1 };
            // Events come most recent first, so day and session indexes only grow: a change is a new one.
            if (t.DayIndex != dayIndex) { t.Days++; t.DayIndex = dayIndex; }
            if (t.SessionIndex != sessionIndex) { t.Sessions++; t.SessionIndex = sessionIndex; }
            switch (e.Behavior)
            {
                case Behavior.View: t.V++; break;
                case Behavior.Favorite: t.F++; break;
                case Behavior.Cart: t.C++; break;
                default: t.B++; break;
            }
            if (inSession) t.Session++;
            if (lastDay) t.Day++;
            touched[e.ItemId] = t;
        }
        var latestCat = events.Length > 0 ? events[0].CategoryId : -1;
        Dictionary<long, float>? lastNeighbours = null;
        if (events.Length > 0)
        {
            var neighbours = models.Neighbours(events[0].ItemId, 200);
            lastNeighbours = new Dictionary<long, float>(neighbours.Count);
            for (var j = 0; j < neighbours.Count; j++) lastNeighbours[neighbours[j].ItemId] = neighbours[j].Score;
        }
        float[]? deep = null;
        if (sources.Tower is { } tower && events.Length > 0)
        {
            var oldestFirst = events.ToArray();
            Array.Reverse(oldestFirst);
            var uv = tower.EncodeUser(oldestFirst);
            var keys = new string[items.Length];
            for (var i = 0; i < items.Length; i++) keys[i] = BehaviourScorer.Key(items[i]);
            deep = new float[items.Length];
            tower.Score(uv, keys, deep);
        }
        var act = sources.Activity;
        for (var i = 0; i < items.Length; i++)
        {
            var row = m.AsSpan(i * dim, dim);
            var item = items[i];
            var pop = models.PopularityOf(item);
            row[5] = float.IsNaN(pop) ? float.NaN : MathF.Log(1 + MathF.Max(0, pop));
            var rk = rankRows.AsSpan(rowOf[item] * Sources.Length, Sources.Length);
            var count = 0;
            for (var s = 0; s < Sources.Length; s++)
            {
                row[6 + s] = float.IsNaN(rk[s]) ? float.NaN : MathF.Log2(2 + rk[s]);
                if (!float.IsNaN(rk[s])) count++;
            }
            row[12] = count;
            if (touched.TryGetValue(item, out var u))
            {
                row[13] = u.V; row[14] = u.F; row[15] = u.C; row[16] = u.B;
                row[17] = u.LastBehaviour;
                row[18] = LogHours(asOf - u.LastTime);
                row[19] = MathF.Log(1 + u.LastPos);
                row[20] = MathF.Log2(2 + u.RecencyRank);
                row[21] = u.Session;
                row[22] = u.Day;
                row[37] = u.Days;
                row[38] = u.Sessions;
            }
            else
            {
                row[13] = row[14] = row[15] = row[16] = 0;
                row[17] = row[18] = row[19] = row[20] = float.NaN;
                row[21] = row[22] = 0;
                row[37] = row[38] = 0;
            }
            row[23] = lastNeighbours is null ? float.NaN : lastNeighbours.GetValueOrDefault(item);
            var (sinceLast, age, day, total) = act.At(item, asOf);
            if (total > 0)
            {
                row[24] = MathF.Log(1 + day);
                row[25] = MathF.Log(1 + day) - MathF.Log(1 + total - day);
                row[26] = MathF.Log(1 + sinceLast);
                row[27] = MathF.Log(1 + age);
            }
            else
            {
                row[24] = 0;
                row[25] = row[26] = row[27] = float.NaN;
            }
            var cat = models.CategoryOf(item);
            if (cat is long c && events.Length > 0)
            {
                row[28] = catCounts.GetValueOrDefault(c) / (float)events.Length;
                row[29] = c == latestCat ? 1 : 0;
                row[30] = catSession.GetValueOrDefault(c) / (float)sessionLen;
            }
            else row[28] = row[29] = row[30] = float.NaN;
            row[31] = MathF.Log(1 + history.Count);
            row[32] = MathF.Log(1 + userLastDay);
            row[33] = events.Length > 0 ? LogHours(asOf - events[0].Timestamp) : float.NaN;
            row[34] = sessionLen;
            row[35] = deep is null ? float.NaN : deep[i];
            row[36] = deep is null ? 0 : 1;
        }
        return (items, m);
    }

    private static float LogHours(long seconds) => MathF.Log(1 + Math.Max(0, seconds) / 3600f);

    /// <summary>
    /// Training data for the combiner: sources built from events before <paramref name="innerCut"/>; for each user
    /// with events before it, candidates from that history, labelled 1 when the user touched the item (any behaviour) in
    /// [<paramref name="innerCut"/>, <paramref name="labelEnd"/>) and 0 otherwise — the same truth as the eval-rec
    /// protocol. Groups are named <c>user@innerCut</c>; users without a positive candidate are skipped (they teach
    /// LambdaMART nothing) unless <paramref name="keepEmpty"/>. With <paramref name="idealWeights"/> each group weighs
    /// <see cref="IdealWeight"/>, so users count in training as they count in the metric.
    /// </summary>
    public static void AddTrainingData(RankingDatasetBuilder b, NextItemSources sources, IReadOnlyList<UserEvent> events, long innerCut, long labelEnd,
        IReadOnlySet<long> excludeUsers, int perSource, Action<string>? log = null, bool keepEmpty = false, bool idealWeights = false)
    {
        Guard.NotNull(b);
        Guard.NotNull(sources);
        Guard.NotNull(events);
        Guard.NotNull(excludeUsers);
        var before = new Dictionary<long, List<UserEvent>>();
        var labels = new Dictionary<long, HashSet<long>>();
        foreach (var e in events)
        {
            if (excludeUsers.Contains(e.UserId) || e.Timestamp >= labelEnd) continue;
            if (e.Timestamp < innerCut) (before.TryGetValue(e.UserId, out var l) ? l : before[e.UserId] = []).Add(e);
            else (labels.TryGetValue(e.UserId, out var set) ? set : labels[e.UserId] = []).Add(e.ItemId);
        }
        var done = 0;
        foreach (var (user, truth) in labels.OrderBy(kv => kv.Key))
        {
            if (!before.TryGetValue(user, out var hist) || hist.Count == 0) continue;
            hist.Sort((x, y) => y.Timestamp.CompareTo(x.Timestamp));
            var h = new UserHistory(user, hist, innerCut);
            var (items, f) = Candidates(sources, h, perSource);
            var y = new float[items.Length];
            var hits = 0;
            for (var i = 0; i < items.Length; i++)
            {
                y[i] = truth.Contains(items[i]) ? 1 : 0;
                if (y[i] > 0) hits++;
            }
            if (hits == 0 && !keepEmpty) continue;
            var ids = new string[items.Length];
            for (var i = 0; i < items.Length; i++) ids[i] = items[i].ToString(CultureInfo.InvariantCulture);
            var judged = new Dictionary<string, int>(truth.Count, StringComparer.Ordinal);
            foreach (var t in truth) judged[t.ToString(CultureInfo.InvariantCulture)] = 1;
            b.Add(user.ToString(CultureInfo.InvariantCulture) + "@" + innerCut.ToString(CultureInfo.InvariantCulture), f, y, ids, judged,
                idealWeights ? IdealWeight(hits, truth.Count, MetricDepth) : 1f);
            if (++done % 200 == 0) log?.Invoke($"next-item training groups at {innerCut}: {done}");
        }
    }

    /// <summary>The depth of the next-item metric (nDCG@20) that validation and <see cref="IdealWeight"/> use.</summary>
    public const int MetricDepth = 20;

    /// <summary>
    /// A training group's weight that matches the metric: the ideal DCG@<paramref name="k"/> of the
    /// <paramref name="pooled"/> truths LambdaMART sees over that of all <paramref name="truths"/>, by which the
    /// metric divides (most truths lie outside the pool). In (0, 1]; 1 when the pool holds every truth or none.
    /// </summary>
    public static float IdealWeight(int pooled, int truths, int k)
    {
        Guard.Positive(k);
        if (pooled < 0 || truths < pooled) throw new ArgumentOutOfRangeException(nameof(pooled), pooled, $"pooled must lie in [0, truths = {truths}].");
        if (pooled == 0) return 1f;
        return (float)(IdealDcg(Math.Min(k, pooled)) / IdealDcg(Math.Min(k, truths)));
    }

    /// <summary>The score columns of the single collaborative sources, each of which re-ranks the pool alone on validation; <c>cf_blend</c> is what the feed serves without a ranker.</summary>
    public static readonly string[] SingleColumns = ["cf_repeat", "cf_item_item", "cf_als", "cf_category_affinity", "item_popularity", "cf_blend"];

    /// <summary>
    /// The warning for a saved combiner whose validation nDCG@20 (<paramref name="ranker"/>) is below the blend's or
    /// the best single source's (<paramref name="singles"/>: column → nDCG@20, <c>cf_blend</c> among them); null when
    /// it beats them all. Only the blend can replace it in the feed (<c>serve</c> without <c>--feed-ranker</c>).
    /// </summary>
    public static string? ValidationWarning(double ranker, IReadOnlyDictionary<string, double> singles)
    {
        Guard.NotNull(singles);
        var blend = singles.TryGetValue("cf_blend", out var b) ? b : double.NaN;
        var (best, bestNdcg) = singles.Where(kv => kv.Key != "cf_blend").OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value)).FirstOrDefault();
        var prefix = string.Create(CultureInfo.InvariantCulture, $"warning: on validation (the latest inner cut) the saved ranker's nDCG@20 {ranker:F4} is below");
        if (blend > ranker)
            return string.Create(CultureInfo.InvariantCulture,
                $"{prefix} the collaborative blend alone ({blend:F4}{(bestNdcg > ranker ? $"; best single source {best} {bestNdcg:F4}" : "")}): `serve` would do better with the blend (leave out --feed-ranker); saved anyway");
        if (best is not null && bestNdcg > ranker)
            return string.Create(CultureInfo.InvariantCulture,
                $"{prefix} {best} alone ({bestNdcg:F4}), though above the blend ({blend:F4}) that `serve` uses without --feed-ranker; saved anyway");
        return null;
    }

    /// <summary>
    /// Mean binary nDCG@<paramref name="k"/> of a combiner over a dataset's groups, the ideal list counting every
    /// judged item (also those outside the candidate pool), as the eval-rec protocol does.
    /// </summary>
    public static double MeanNdcg(Models.IRankerModel model, RankingDataset data, int k)
    {
        Guard.NotNull(model);
        Guard.NotNull(data);
        Guard.Positive(k);
        var scores = new float[data.Rows];
        double sum = 0;
        foreach (var g in data.Groups)
        {
            model.Score(data.Features.AsSpan(g.Start * data.Schema.Count, g.Count * data.Schema.Count), g.Count, scores.AsSpan(g.Start, g.Count));
            var order = DatasetMetrics.Order(scores.AsSpan(g.Start, g.Count));
            double dcg = 0;
            for (var r = 0; r < Math.Min(k, order.Length); r++)
                if (data.Labels[g.Start + order[r]] > 0) dcg += 1 / Math.Log2(r + 2);
            var ideal = IdealDcg(Math.Min(k, g.Judgments.Count));
            sum += ideal > 0 ? dcg / ideal : 0;
        }
        return data.Groups.Count > 0 ? sum / data.Groups.Count : 0;
    }

    /// <summary>The binary DCG of <paramref name="n"/> relevant items in the first places.</summary>
    private static double IdealDcg(int n)
    {
        double ideal = 0;
        for (var r = 0; r < n; r++) ideal += 1 / Math.Log2(r + 2);
        return ideal;
    }

    private struct Touch
    {
        public int V, F, C, B, Session, Day, LastPos, LastBehaviour, RecencyRank, Days, DayIndex, Sessions, SessionIndex;
        public long LastTime;
    }
}
