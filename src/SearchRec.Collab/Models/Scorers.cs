using System.Numerics.Tensors;

namespace SearchRec.Collab.Models;

/// <summary>What every scorer derives from one history, computed once per (history, models) and cached on the history.</summary>
internal sealed class Profile
{
    public Dictionary<long, float> Repeat = [];     // item id -> decayed behaviour weight (all items, known or not)
    public float RepeatMax;
    public Dictionary<long, float> Categories = []; // category id -> share of decayed weight (sums to 1)
    public float CategoryMax;
    public int[] Known = [];                         // model indexes of known history items
    public float[] KnownWeight = [];                 // their decayed weights
    public float[] KnownRaw = [];                    // their undecayed summed weights (ALS confidence)
    private int[]? _iiIdx;                           // item-item accumulation, sorted by index (built on first TopK)
    private float[]? _iiVal;
    public float IiMax;
    [ThreadStatic] private static float[]? t_acc;    // dense per-thread scratch: Score allocates nothing per item
    [ThreadStatic] private static int[]? t_touched;
    public float[]? Als;                             // folded-in user vector, null when nothing known

    public static Profile Of(CollabModels m, UserHistory h)
    {
        if (ReferenceEquals(h.ProfileOwner, m) && h.ProfileCache is Profile cached) return cached;
        lock (h.CacheLock)
        {
            if (ReferenceEquals(h.ProfileOwner, m) && h.ProfileCache is Profile again) return again;
            var p = Build(m, h);
            h.ProfileCache = p;
            h.ProfileOwner = m;
            return p;
        }
    }

    private static Profile Build(CollabModels m, UserHistory h)
    {
        var o = m.Options;
        var p = new Profile();
        var events = h.Events;
        int n = Math.Min(events.Length, o.MaxHistory);
        double hl = o.HistoryHalfLifeDays * 86400.0;
        var raw = new Dictionary<long, float>();
        float catTotal = 0;
        for (int k = 0; k < n; k++)
        {
            var e = events[k];
            float w0 = o.Weight(e.Behavior);
            float w = (float)(w0 * Math.Pow(2, -Math.Max(0, h.AsOf - e.Timestamp) / hl));
            p.Repeat[e.ItemId] = p.Repeat.GetValueOrDefault(e.ItemId) + w;
            raw[e.ItemId] = raw.GetValueOrDefault(e.ItemId) + w0;
            p.Categories[e.CategoryId] = p.Categories.GetValueOrDefault(e.CategoryId) + w;
            catTotal += w;
        }
        foreach (var v in p.Repeat.Values) p.RepeatMax = Math.Max(p.RepeatMax, v);
        if (catTotal > 0)
            foreach (var key in p.Categories.Keys.ToArray())
            {
                float share = p.Categories[key] / catTotal;
                p.Categories[key] = share;
                p.CategoryMax = Math.Max(p.CategoryMax, share);
            }

        var known = new List<int>();
        var kw = new List<float>();
        var kr = new List<float>();
        foreach (var (item, w) in p.Repeat)
            if (m.ItemIndex.TryGetValue(item, out var idx)) { known.Add(idx); kw.Add(w); kr.Add(raw[item]); }
        p.Known = known.ToArray();
        p.KnownWeight = kw.ToArray();
        p.KnownRaw = kr.ToArray();

        if (p.Known.Length > 0)
        {
            int count = p.Accumulate(m, out var acc, out var touched);
            for (int t = 0; t < count; t++) p.IiMax = Math.Max(p.IiMax, acc[touched[t]]);
            Clear(acc, touched, count);
            if (m.ItemFactors.Length > 0) p.Als = FoldIn(m, p.Known, p.KnownRaw);
        }
        return p;
    }

    /// <summary>Solves the user's ALS vector from their items against fixed item factors (no retraining).</summary>
    internal static float[] FoldIn(CollabModels m, int[] items, float[] rawWeights)
    {
        int f = m.Factors;
        var x = new float[f];
        var conf = new float[items.Length];
        for (int k = 0; k < conf.Length; k++) conf[k] = 1f + m.Options.Alpha * rawWeights[k];
        AlsTrainer.Solve(x, m.ItemFactors, m.Gram, items, conf, f, Math.Max(8, m.Options.CgSteps * 3), new float[3 * f]);
        return x;
    }

    /// <summary>Adds Σ history weight × sim into a per-thread dense row; returns how many slots were touched. Call <see cref="Clear"/> after.</summary>
    public int Accumulate(CollabModels m, out float[] acc, out int[] touched)
    {
        int n = m.ItemIds.Length;
        acc = t_acc is { } a && a.Length >= n ? a : (t_acc = new float[n]);
        touched = t_touched ??= new int[1024];
        int count = 0;
        for (int k = 0; k < Known.Length; k++)
        {
            int i = Known[k];
            float w = KnownWeight[k];
            for (int j = m.NbrStart[i]; j < m.NbrStart[i + 1]; j++)
            {
                int t = m.NbrItem[j];
                if (acc[t] == 0f)
                {
                    if (count == touched.Length) { Array.Resize(ref t_touched, count * 2); touched = t_touched; }
                    touched[count++] = t;
                }
                acc[t] += w * m.NbrSim[j];
            }
        }
        return count;
    }

    public static void Clear(float[] acc, int[] touched, int count)
    {
        for (int t = 0; t < count; t++) acc[touched[t]] = 0f;
    }

    private void EnsureSparse(CollabModels m)
    {
        if (_iiVal is not null) return;
        lock (this)
        {
            if (_iiVal is not null) return;
            if (Known.Length == 0) { _iiIdx = []; _iiVal = []; return; }
            int count = Accumulate(m, out var acc, out var touched);
            var idx = touched.AsSpan(0, count).ToArray();
            Array.Sort(idx);
            int u = 0;
            for (int t = 0; t < idx.Length; t++) if (u == 0 || idx[t] != idx[u - 1]) idx[u++] = idx[t];
            Array.Resize(ref idx, u);
            var val = new float[u];
            for (int t = 0; t < u; t++) val[t] = acc[idx[t]];
            Clear(acc, touched, count);
            _iiIdx = idx;
            _iiVal = val;
        }
    }

    public (int[] Idx, float[] Val) ItemItemAll(CollabModels m)
    {
        EnsureSparse(m);
        return (_iiIdx!, _iiVal!);
    }

    public float ItemItem(CollabModels m, int idx)
    {
        EnsureSparse(m);
        int k = Array.BinarySearch(_iiIdx!, idx);
        return k >= 0 ? _iiVal![k] : 0f;
    }
}

internal abstract class ScorerBase(CollabModels m) : IRecScorer
{
    protected readonly CollabModels M = m;
    public abstract string Name { get; }
    public abstract void Score(UserHistory history, ReadOnlySpan<long> items, Span<float> scores);
    public abstract IReadOnlyList<ScoredItem> TopK(UserHistory history, int k, bool excludeHistory = false);

    protected static void CheckLengths(UserHistory history, ReadOnlySpan<long> items, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (scores.Length < items.Length) throw new ArgumentException($"scores has {scores.Length} slots for {items.Length} items.", nameof(scores));
    }

    protected static void CheckK(UserHistory history, int k)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be positive.");
    }

    /// <summary>Keeps the best k of (index, score) candidates, skipping history items when asked.</summary>
    protected IReadOnlyList<ScoredItem> Select(IEnumerable<(long Item, float Score)> candidates, int k, Profile? exclude)
    {
        var heap = new PriorityQueue<long, (float, long)>(k + 1, Comparer<(float S, long I)>.Create((a, b) =>
            a.S != b.S ? a.S.CompareTo(b.S) : b.I.CompareTo(a.I)));
        foreach (var (item, s) in candidates)
        {
            if (float.IsNaN(s) || (exclude is not null && exclude.Repeat.ContainsKey(item))) continue;
            if (heap.Count < k) heap.Enqueue(item, (s, item));
            else if (heap.TryPeek(out _, out var min) && (s > min.Item1 || (s == min.Item1 && item < min.Item2)))
            {
                heap.Dequeue();
                heap.Enqueue(item, (s, item));
            }
        }
        var result = new ScoredItem[heap.Count];
        for (int r = result.Length - 1; r >= 0; r--) { heap.TryDequeue(out var item, out var pr); result[r] = new ScoredItem(item, pr.Item1); }
        return result;
    }
}

internal sealed class PopularityScorer(CollabModels m) : ScorerBase(m)
{
    public override string Name => "popularity";

    public override void Score(UserHistory history, ReadOnlySpan<long> items, Span<float> scores)
    {
        CheckLengths(history, items, scores);
        for (int k = 0; k < items.Length; k++) scores[k] = M.PopularityOf(items[k]);
    }

    public override IReadOnlyList<ScoredItem> TopK(UserHistory history, int k, bool excludeHistory = false)
    {
        CheckK(history, k);
        var ex = excludeHistory ? Profile.Of(M, history) : null;
        return Select(M.TopOverall.Select(i => (M.ItemIds[i], M.PopularityOf(M.ItemIds[i]))), k, ex);
    }
}

internal sealed class RepeatScorer(CollabModels m) : ScorerBase(m)
{
    public override string Name => "repeat";

    public override void Score(UserHistory history, ReadOnlySpan<long> items, Span<float> scores)
    {
        CheckLengths(history, items, scores);
        if (history.Count == 0) { scores[..items.Length].Fill(float.NaN); return; }
        var p = Profile.Of(M, history);
        for (int k = 0; k < items.Length; k++) scores[k] = p.Repeat.GetValueOrDefault(items[k]);
    }

    public override IReadOnlyList<ScoredItem> TopK(UserHistory history, int k, bool excludeHistory = false)
    {
        CheckK(history, k);
        if (excludeHistory || history.Count == 0) return [];
        var p = Profile.Of(M, history);
        return Select(p.Repeat.Select(kv => (kv.Key, kv.Value)), k, null);
    }
}

internal sealed class ItemItemScorer(CollabModels m) : ScorerBase(m)
{
    public override string Name => "item-item";

    public override void Score(UserHistory history, ReadOnlySpan<long> items, Span<float> scores)
    {
        CheckLengths(history, items, scores);
        var p = Profile.Of(M, history);
        if (p.Known.Length == 0) { scores[..items.Length].Fill(float.NaN); return; }
        int count = p.Accumulate(M, out var acc, out var touched);
        for (int k = 0; k < items.Length; k++)
            scores[k] = M.ItemIndex.TryGetValue(items[k], out var idx) ? acc[idx] : float.NaN;
        Profile.Clear(acc, touched, count);
    }

    public override IReadOnlyList<ScoredItem> TopK(UserHistory history, int k, bool excludeHistory = false)
    {
        CheckK(history, k);
        var p = Profile.Of(M, history);
        var (ids, vals) = p.ItemItemAll(M);
        return Select(ids.Select((idx, j) => (M.ItemIds[idx], vals[j])), k, excludeHistory ? p : null);
    }
}

internal sealed class AlsScorer(CollabModels m) : ScorerBase(m)
{
    public override string Name => "als";

    public override void Score(UserHistory history, ReadOnlySpan<long> items, Span<float> scores)
    {
        CheckLengths(history, items, scores);
        var x = Profile.Of(M, history).Als;
        int f = M.Factors;
        for (int k = 0; k < items.Length; k++)
            scores[k] = x is not null && M.ItemIndex.TryGetValue(items[k], out var idx)
                ? TensorPrimitives.Dot(x, M.ItemFactors.AsSpan(idx * f, f))
                : float.NaN;
    }

    public override IReadOnlyList<ScoredItem> TopK(UserHistory history, int k, bool excludeHistory = false)
    {
        CheckK(history, k);
        var p = Profile.Of(M, history);
        if (p.Als is null) return [];
        int f = M.Factors;
        var all = new float[M.ItemIds.Length];
        for (int i = 0; i < all.Length; i++) all[i] = TensorPrimitives.Dot(p.Als, M.ItemFactors.AsSpan(i * f, f));
        return Select(Enumerable.Range(0, all.Length).Select(i => (M.ItemIds[i], all[i])), k, excludeHistory ? p : null);
    }
}

internal sealed class CategoryScorer(CollabModels m) : ScorerBase(m)
{
    public override string Name => "category";

    public float ScoreOne(Profile p, long item)
    {
        var cat = M.CategoryOf(item);
        if (cat is null || p.Categories.Count == 0) return float.NaN;
        float aff = p.Categories.GetValueOrDefault(cat.Value);
        float rel = 0f;
        if (M.CatIndex.TryGetValue(cat.Value, out var c) && M.CatMaxPop[c] > 0)
        {
            float pop = M.PopularityOf(item);
            if (!float.IsNaN(pop)) rel = Math.Min(1f, pop / M.CatMaxPop[c]);
        }
        return aff * (0.5f + 0.5f * rel);
    }

    public override void Score(UserHistory history, ReadOnlySpan<long> items, Span<float> scores)
    {
        CheckLengths(history, items, scores);
        var p = Profile.Of(M, history);
        for (int k = 0; k < items.Length; k++) scores[k] = ScoreOne(p, items[k]);
    }

    public override IReadOnlyList<ScoredItem> TopK(UserHistory history, int k, bool excludeHistory = false)
    {
        CheckK(history, k);
        var p = Profile.Of(M, history);
        var cats = p.Categories.OrderByDescending(c => c.Value).Take(5);
        var cands = new List<(long, float)>();
        foreach (var (cat, _) in cats)
            if (M.CatIndex.TryGetValue(cat, out var c))
                foreach (var i in M.TopByCat[c].Take(k + p.Repeat.Count)) cands.Add((M.ItemIds[i], ScoreOne(p, M.ItemIds[i])));
        return Select(cands, k, excludeHistory ? p : null);
    }
}

/// <summary>
/// Fixed-weight fusion: each part is divided by its maximum for this user (so parts are on one scale and the
/// score does not depend on the candidate set), missing parts count 0; the user's own items get a base bonus so
/// they rank first and the other parts order and fill the rest; a user with no history gets popularity.
/// </summary>
internal sealed class BlendScorer(CollabModels m) : ScorerBase(m)
{
    public override string Name => "blend";

    private float ScoreOne(Profile p, long item, float alsMax, float[]? iiAcc)
    {
        var o = M.Options;
        float WRepeat = o.BlendRepeat, WItemItem = o.BlendItemItem, WAls = o.BlendAls, WCategory = o.BlendCategory, WPop = o.BlendPopularity;
        float s = 0;
        // the user's own items come first (repeat consumption dominates shopping logs): a history item gets a
        // base of WRepeat, which the other parts (weights summing below it) cannot overtake
        if (p.RepeatMax > 0 && p.Repeat.TryGetValue(item, out var rep)) s += WRepeat * (1f + rep / p.RepeatMax);
        bool known = M.ItemIndex.TryGetValue(item, out var idx);
        if (known && p.IiMax > 0) s += WItemItem * (iiAcc is not null ? iiAcc[idx] : p.ItemItem(M, idx)) / p.IiMax;
        if (known && p.Als is not null && alsMax > 0)
            s += WAls * Math.Max(0f, TensorPrimitives.Dot(p.Als, M.ItemFactors.AsSpan(idx * M.Factors, M.Factors))) / alsMax;
        if (p.CategoryMax > 0)
        {
            float c = ((CategoryScorer)M.Category).ScoreOne(p, item);
            if (!float.IsNaN(c)) s += WCategory * c / p.CategoryMax;
        }
        float pop = M.PopularityOf(item);
        if (!float.IsNaN(pop) && M.MaxPop > 0) s += WPop * Math.Min(1f, pop / M.MaxPop);
        return s;
    }

    private float AlsMax(Profile p)
    {
        if (p.Als is null) return 0f;
        // the user's own items bound the scale well enough and cost |history| dots
        float max = 0f;
        foreach (var i in p.Known) max = Math.Max(max, TensorPrimitives.Dot(p.Als, M.ItemFactors.AsSpan(i * M.Factors, M.Factors)));
        return max;
    }

    public override void Score(UserHistory history, ReadOnlySpan<long> items, Span<float> scores)
    {
        CheckLengths(history, items, scores);
        var p = Profile.Of(M, history);
        float alsMax = AlsMax(p);
        int count = 0;
        float[]? acc = null;
        int[] touched = [];
        if (p.IiMax > 0) count = p.Accumulate(M, out acc, out touched);
        for (int k = 0; k < items.Length; k++) scores[k] = ScoreOne(p, items[k], alsMax, acc);
        if (acc is not null) Profile.Clear(acc, touched, count);
    }

    public override IReadOnlyList<ScoredItem> TopK(UserHistory history, int k, bool excludeHistory = false)
    {
        CheckK(history, k);
        var p = Profile.Of(M, history);
        var pool = new HashSet<long>();
        foreach (var s in M.Repeat.TopK(history, Math.Max(k, 200))) pool.Add(s.ItemId);
        foreach (var s in M.ItemItem.TopK(history, Math.Max(k, 200))) pool.Add(s.ItemId);
        foreach (var s in M.Als.TopK(history, k)) pool.Add(s.ItemId);
        foreach (var s in M.Category.TopK(history, k)) pool.Add(s.ItemId);
        foreach (var s in M.Popularity.TopK(history, k)) pool.Add(s.ItemId);
        float alsMax = AlsMax(p);
        return Select(pool.Select(i => (i, ScoreOne(p, i, alsMax, null))), k, excludeHistory ? p : null);
    }
}
