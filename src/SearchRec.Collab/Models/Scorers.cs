using System.Numerics.Tensors;

namespace SearchRec.Collab.Models;

/// <summary>
/// What every scorer derives from one history, computed once per (history, models) and cached on the history.
/// Flat arrays instead of dictionaries (a few small allocations per request); ALS fold-in and the item-item
/// maximum are computed on first use, so scorers that do not need them do not pay for them.
/// </summary>
internal sealed class Profile
{
    public long[] RepeatItems = [];                  // distinct history items, first-seen order (most recent first)
    public float[] RepeatWeight = [];                // decayed behaviour weight per item
    private long[] _repeatSorted = [];               // the same, sorted by item id for lookups
    private float[] _repeatSortedWeight = [];
    public float RepeatMax;
    public long[] CategoryIds = [];                  // distinct categories, first-seen order
    public float[] CategoryShare = [];               // share of decayed weight (sums to 1)
    private long[] _catSorted = [];
    private float[] _catSortedShare = [];
    public float CategoryMax;
    public int[] Known = [];                         // model indexes of known history items
    public float[] KnownWeight = [];                 // their decayed weights
    public float[] KnownRaw = [];                    // their undecayed summed weights (ALS confidence)
    private int[]? _iiIdx;                           // item-item accumulation, sorted by index (built on first TopK)
    private float[]? _iiVal;
    private readonly Lock _lazyLock = new();
    private volatile bool _iiMaxDone, _alsDone;
    private float _iiMax;
    private float[]? _als;
    private ScoredItem[]? _alsTop;                   // the ALS top list with history items, for the largest k asked
    private int _alsTopK;
    private CollabModels _m = null!;
    [ThreadStatic] private static float[]? t_acc;    // dense per-thread scratch: Score allocates nothing per item
    [ThreadStatic] private static int[]? t_touched;
    [ThreadStatic] private static Scratch? t_scratch;
    [ThreadStatic] private static float[]? t_solve;

    /// <summary>
    /// The ALS top <paramref name="k"/> (history items included) when a list for at least k was kept: the blend's
    /// top k asks for it again, and at a million items a scan still reads a good part of the factors.
    /// </summary>
    public IReadOnlyList<ScoredItem>? AlsTop(int k)
    {
        lock (_lazyLock)
            return _alsTop is null || _alsTopK < k ? null : _alsTop.Length <= k ? _alsTop : _alsTop[..k];
    }

    /// <summary>Keeps the ALS top list computed for <paramref name="k"/>.</summary>
    public void KeepAlsTop(int k, ScoredItem[] top)
    {
        lock (_lazyLock)
            if (_alsTop is null || k > _alsTopK) (_alsTop, _alsTopK) = (top, k);
    }

    /// <summary>Number of distinct history items.</summary>
    public int RepeatCount => RepeatItems.Length;

    /// <summary>Largest item-item accumulation over all items (0 when nothing known).</summary>
    public float IiMax
    {
        get
        {
            if (!_iiMaxDone)
                lock (_lazyLock)
                    if (!_iiMaxDone)
                    {
                        if (Known.Length > 0)
                        {
                            int count = Accumulate(_m, out var acc, out var touched);
                            float max = 0f;
                            for (int t = 0; t < count; t++) max = Math.Max(max, acc[touched[t]]);
                            Clear(acc, touched, count);
                            _iiMax = max;
                        }
                        _iiMaxDone = true;
                    }
            return _iiMax;
        }
    }

    /// <summary>Records the item-item maximum from an accumulation the caller already holds; returns it.</summary>
    public float SeedIiMax(float[] acc, int[] touched, int count)
    {
        if (_iiMaxDone) return _iiMax;
        float max = 0f;
        for (int t = 0; t < count; t++) max = Math.Max(max, acc[touched[t]]);
        lock (_lazyLock)
            if (!_iiMaxDone) { _iiMax = max; _iiMaxDone = true; }
        return _iiMax;
    }

    /// <summary>Folded-in user vector, null when nothing known (or no factors).</summary>
    public float[]? Als
    {
        get
        {
            if (!_alsDone)
                lock (_lazyLock)
                    if (!_alsDone)
                    {
                        if (Known.Length > 0 && _m.ItemFactors.Count > 0) _als = FoldIn(_m, Known, KnownRaw);
                        _alsDone = true;
                    }
            return _als;
        }
    }

    /// <summary>True when the item is in the history.</summary>
    public bool InHistory(long item) => Array.BinarySearch(_repeatSorted, item) >= 0;

    /// <summary>The item's decayed history weight; false when not in the history.</summary>
    public bool TryRepeat(long item, out float weight)
    {
        int k = Array.BinarySearch(_repeatSorted, item);
        weight = k >= 0 ? _repeatSortedWeight[k] : 0f;
        return k >= 0;
    }

    /// <summary>The category's share of the user's decayed weight; 0 when absent.</summary>
    public float ShareOf(long category)
    {
        int k = Array.BinarySearch(_catSorted, category);
        return k >= 0 ? _catSortedShare[k] : 0f;
    }

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

    /// <summary>Per-thread aggregation tables (open addressing, insertion order kept so sums match a dictionary's).</summary>
    private sealed class Scratch
    {
        public readonly Agg Items = new(), Cats = new();
    }

    private sealed class Agg
    {
        private int[] _slots = new int[512];          // 0 empty, else entry index + 1
        public long[] Keys = new long[256];
        public float[] W = new float[256];
        public float[] Raw = new float[256];
        public int Count;

        public void Reset(int n)
        {
            int cap = 512;
            while (cap < 2 * n) cap *= 2;
            if (_slots.Length < cap) _slots = new int[cap];
            else Array.Clear(_slots, 0, cap);
            if (Keys.Length < n) { Keys = new long[n]; W = new float[n]; Raw = new float[n]; }
            Count = 0;
            _mask = cap - 1;
        }

        private int _mask;

        public void Add(long key, float w, float raw)
        {
            int h = (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 40) & _mask;
            while (true)
            {
                int s = _slots[h];
                if (s == 0)
                {
                    _slots[h] = Count + 1;
                    Keys[Count] = key; W[Count] = w; Raw[Count] = raw;
                    Count++;
                    return;
                }
                if (Keys[s - 1] == key) { W[s - 1] += w; Raw[s - 1] += raw; return; }
                h = (h + 1) & _mask;
            }
        }
    }

    private static void Sorted(long[] keys, float[] values, out long[] sk, out float[] sv)
    {
        sk = (long[])keys.Clone();
        sv = (float[])values.Clone();
        Array.Sort(sk, sv);
    }

    private static Profile Build(CollabModels m, UserHistory h)
    {
        var o = m.Options;
        var p = new Profile { _m = m };
        var events = h.Events;
        int n = Math.Min(events.Length, o.MaxHistory);
        double hl = o.HistoryHalfLifeDays * 86400.0;
        var scratch = t_scratch ??= new Scratch();
        var items = scratch.Items;
        var cats = scratch.Cats;
        items.Reset(n);
        cats.Reset(n);
        float catTotal = 0;
        for (int k = 0; k < n; k++)
        {
            var e = events[k];
            float w0 = o.Weight(e.Behavior);
            float w = (float)(w0 * Math.Pow(2, -Math.Max(0, h.AsOf - e.Timestamp) / hl));
            items.Add(e.ItemId, w, w0);
            cats.Add(e.CategoryId, w, 0f);
            catTotal += w;
        }
        int u = items.Count;
        p.RepeatItems = items.Keys.AsSpan(0, u).ToArray();
        p.RepeatWeight = items.W.AsSpan(0, u).ToArray();
        for (int j = 0; j < u; j++) p.RepeatMax = Math.Max(p.RepeatMax, p.RepeatWeight[j]);
        Sorted(p.RepeatItems, p.RepeatWeight, out p._repeatSorted, out p._repeatSortedWeight);

        int c = cats.Count;
        p.CategoryIds = cats.Keys.AsSpan(0, c).ToArray();
        p.CategoryShare = cats.W.AsSpan(0, c).ToArray();
        if (catTotal > 0)
            for (int j = 0; j < c; j++)
            {
                float share = p.CategoryShare[j] / catTotal;
                p.CategoryShare[j] = share;
                p.CategoryMax = Math.Max(p.CategoryMax, share);
            }
        Sorted(p.CategoryIds, p.CategoryShare, out p._catSorted, out p._catSortedShare);

        int known = 0;
        Span<int> idxOf = u <= 512 ? stackalloc int[u] : new int[u];
        for (int j = 0; j < u; j++)
        {
            idxOf[j] = m.ItemIndex.TryGetValue(p.RepeatItems[j], out var idx) ? idx : -1;
            if (idxOf[j] >= 0) known++;
        }
        p.Known = new int[known];
        p.KnownWeight = new float[known];
        p.KnownRaw = new float[known];
        for (int j = 0, q = 0; j < u; j++)
            if (idxOf[j] >= 0) { p.Known[q] = idxOf[j]; p.KnownWeight[q] = p.RepeatWeight[j]; p.KnownRaw[q] = items.Raw[j]; q++; }
        return p;
    }

    /// <summary>Solves the user's ALS vector from their items against fixed item factors (no retraining).</summary>
    internal static float[] FoldIn(CollabModels m, int[] items, float[] rawWeights)
    {
        int f = m.Factors;
        var x = new float[f];
        Span<float> conf = items.Length <= 512 ? stackalloc float[items.Length] : new float[items.Length];
        for (int k = 0; k < conf.Length; k++) conf[k] = 1f + m.Options.Alpha * rawWeights[k];
        Span<int> rows = items.Length <= 512 ? stackalloc int[items.Length] : new int[items.Length];
        for (int k = 0; k < rows.Length; k++) rows[k] = m.ItemFactors.RowOf[items[k]];
        var scratch = t_solve is { } s && s.Length >= 3 * f ? s : (t_solve = new float[3 * f]);
        AlsTrainer.Solve(x, m.ItemFactors.Rows, m.Gram, rows, conf, f, Math.Max(8, m.Options.CgSteps * 3), scratch);
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

    /// <summary>
    /// The best k items by score, ties to the smaller id, NaN never kept: the same list whatever order the items are
    /// offered in, which lets a scan stop early. Offer the candidates one by one (no LINQ over them), then take
    /// <see cref="ToArray"/> once: it empties the heap and leaves it to the thread's next list.
    /// </summary>
    protected sealed class TopList
    {
        private static readonly Comparer<(float S, long I)> Worst = Comparer<(float S, long I)>.Create((a, b) =>
            a.S != b.S ? a.S.CompareTo(b.S) : b.I.CompareTo(a.I));

        // One emptied heap per thread, taken by the next list: a feed builds a dozen lists of up to 200 per request.
        // A list made while another is open (none is today) makes its own heap.
        [ThreadStatic] private static PriorityQueue<long, (float, long)>? t_spare;
        private const int SpareUpTo = 1024; // larger heaps are not kept

        private readonly int _k;
        private readonly PriorityQueue<long, (float, long)> _heap;

        public TopList(int k)
        {
            _k = k;
            if (k < SpareUpTo && t_spare is { } spare)
            {
                t_spare = null;
                spare.EnsureCapacity(k + 1);
                _heap = spare;
            }
            else _heap = new PriorityQueue<long, (float, long)>(k + 1, Worst);
        }

        /// <summary>Whether k items are kept.</summary>
        public bool Full => _heap.Count >= _k;

        /// <summary>The lowest kept score (only meaningful when <see cref="Full"/>).</summary>
        public float Threshold => _heap.TryPeek(out _, out var min) ? min.Item1 : float.NegativeInfinity;

        public void Offer(long item, float s)
        {
            if (float.IsNaN(s)) return;
            if (_heap.Count < _k) _heap.Enqueue(item, (s, item));
            else if (_heap.TryPeek(out _, out var min) && (s > min.Item1 || (s == min.Item1 && item < min.Item2)))
            {
                _heap.Dequeue();
                _heap.Enqueue(item, (s, item));
            }
        }

        public ScoredItem[] ToArray()
        {
            var result = new ScoredItem[_heap.Count];
            for (int r = result.Length - 1; r >= 0; r--) { _heap.TryDequeue(out var item, out var pr); result[r] = new ScoredItem(item, pr.Item1); }
            if (_k < SpareUpTo) t_spare = _heap; // empty now
            return result;
        }
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
        var best = new TopList(k);
        foreach (var i in M.TopOverall)
        {
            long item = M.ItemIds[i];
            if (ex is null || !ex.InHistory(item)) best.Offer(item, M.PopularityOf(item));
        }
        return best.ToArray();
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
        for (int k = 0; k < items.Length; k++) { p.TryRepeat(items[k], out var w); scores[k] = w; }
    }

    public override IReadOnlyList<ScoredItem> TopK(UserHistory history, int k, bool excludeHistory = false)
    {
        CheckK(history, k);
        if (excludeHistory || history.Count == 0) return [];
        var p = Profile.Of(M, history);
        var best = new TopList(k);
        for (int j = 0; j < p.RepeatItems.Length; j++) best.Offer(p.RepeatItems[j], p.RepeatWeight[j]);
        return best.ToArray();
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
        var best = new TopList(k);
        for (int j = 0; j < ids.Length; j++)
        {
            long item = M.ItemIds[ids[j]];
            if (!excludeHistory || !p.InHistory(item)) best.Offer(item, vals[j]);
        }
        return best.ToArray();
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
                ? TensorPrimitives.Dot(x, M.ItemFactors.Of(idx))
                : float.NaN;
    }

    public override IReadOnlyList<ScoredItem> TopK(UserHistory history, int k, bool excludeHistory = false)
    {
        CheckK(history, k);
        var p = Profile.Of(M, history);
        if (p.Als is null) return [];
        if (!excludeHistory && p.AlsTop(k) is { } kept) return kept;
        // Exact top k without scoring every item: rows come in decreasing factor norm, and the scan stops once
        // |x|·|row| (with room for float rounding) is below the k-th score kept.
        var t = M.ItemFactors;
        var x = p.Als;
        int f = t.Factors;
        float nx = TensorPrimitives.Norm(x) * (1f + 1e-4f);
        var best = new TopList(k);
        for (int r = 0; r < t.Count; r++)
        {
            if (best.Full && nx * t.Norms[r] < best.Threshold) break;
            long item = M.ItemIds[t.Order[r]];
            if (excludeHistory && p.InHistory(item)) continue;
            best.Offer(item, TensorPrimitives.Dot(x, t.Rows.AsSpan(r * f, f)));
        }
        var top = best.ToArray();
        if (!excludeHistory) p.KeepAlsTop(k, top);
        return top;
    }
}

internal sealed class CategoryScorer(CollabModels m) : ScorerBase(m)
{
    public override string Name => "category";

    public float ScoreOne(Profile p, long item) =>
        ScoreOne(p, item, M.ItemIndex.TryGetValue(item, out var idx) ? idx : -1, M.PopularityOf(item));

    /// <summary>The same with the item's model index (-1 unknown) and popularity already looked up.</summary>
    public float ScoreOne(Profile p, long item, int idx, float pop)
    {
        if (p.CategoryIds.Length == 0) return float.NaN;
        long cat;
        int c;
        if (idx >= 0) { c = ItemCatOf(idx); cat = M.CatIds[c]; }
        else if (M.LiveCategory.TryGetValue(item, out cat)) c = M.CatIndex.TryGetValue(cat, out var ci) ? ci : -1;
        else return float.NaN;
        float aff = p.ShareOf(cat);
        float rel = 0f;
        if (c >= 0 && M.CatMaxPop[c] > 0 && !float.IsNaN(pop)) rel = Math.Min(1f, pop / M.CatMaxPop[c]);
        return aff * (0.5f + 0.5f * rel);
    }

    private int ItemCatOf(int idx) => M.ItemCat[idx];

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
        // The user's five largest categories, largest share first, ties in first-seen order (a stable sort's Take(5)).
        Span<int> top = stackalloc int[5];
        int cats = 0;
        var share = p.CategoryShare;
        for (int j = 0; j < share.Length; j++)
        {
            int pos = cats;
            while (pos > 0 && share[j].CompareTo(share[top[pos - 1]]) > 0) pos--;
            if (pos == top.Length) continue;
            for (int t = Math.Min(cats, top.Length - 1); t > pos; t--) top[t] = top[t - 1];
            top[pos] = j;
            if (cats < top.Length) cats++;
        }
        var best = new TopList(k);
        for (int t = 0; t < cats; t++)
        {
            if (!M.CatIndex.TryGetValue(p.CategoryIds[top[t]], out var c)) continue;
            var inCat = M.TopByCat[c];
            for (int j = 0, n = (int)Math.Min(inCat.Length, (long)k + p.RepeatCount); j < n; j++)
            {
                long item = M.ItemIds[inCat[j]];
                if (!excludeHistory || !p.InHistory(item)) best.Offer(item, ScoreOne(p, item));
            }
        }
        return best.ToArray();
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

    private float ScoreOne(Profile p, long item, float alsMax, float[]? iiAcc, float iiMax)
    {
        var o = M.Options;
        float WRepeat = o.BlendRepeat, WItemItem = o.BlendItemItem, WAls = o.BlendAls, WCategory = o.BlendCategory, WPop = o.BlendPopularity;
        float s = 0;
        // the user's own items come first (repeat consumption dominates shopping logs): a history item gets a
        // base of WRepeat, which the other parts (weights summing below it) cannot overtake
        if (p.RepeatMax > 0 && p.TryRepeat(item, out var rep)) s += WRepeat * (1f + rep / p.RepeatMax);
        bool known = M.ItemIndex.TryGetValue(item, out var idx);
        if (known && iiMax > 0) s += WItemItem * (iiAcc is not null ? iiAcc[idx] : p.ItemItem(M, idx)) / iiMax;
        var als = p.Als;
        if (known && als is not null && alsMax > 0)
            s += WAls * Math.Max(0f, TensorPrimitives.Dot(als, M.ItemFactors.Of(idx))) / alsMax;
        // one index and one live-popularity lookup per candidate, shared by the category and popularity parts
        float pop = known ? M.Pop[idx] + (M.LivePop.TryGetValue(item, out var live) ? live : 0f) : M.PopularityOf(item);
        if (p.CategoryMax > 0)
        {
            float c = ((CategoryScorer)M.Category).ScoreOne(p, item, known ? idx : -1, pop);
            if (!float.IsNaN(c)) s += WCategory * c / p.CategoryMax;
        }
        if (!float.IsNaN(pop) && M.MaxPop > 0) s += WPop * Math.Min(1f, pop / M.MaxPop);
        return s;
    }

    private float AlsMax(Profile p)
    {
        if (p.Als is null) return 0f;
        // the user's own items bound the scale well enough and cost |history| dots
        float max = 0f;
        foreach (var i in p.Known) max = Math.Max(max, TensorPrimitives.Dot(p.Als, M.ItemFactors.Of(i)));
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
        float iiMax = 0f;
        if (p.Known.Length > 0)
        {
            // one accumulation serves both the user's maximum and the candidates
            count = p.Accumulate(M, out acc, out touched);
            iiMax = p.SeedIiMax(acc, touched, count);
        }
        for (int k = 0; k < items.Length; k++) scores[k] = ScoreOne(p, items[k], alsMax, iiMax > 0 ? acc : null, iiMax);
        if (acc is not null) Profile.Clear(acc, touched, count);
    }

    public override IReadOnlyList<ScoredItem> TopK(UserHistory history, int k, bool excludeHistory = false)
    {
        CheckK(history, k);
        var p = Profile.Of(M, history);
        // The thread's emptied pool when it has one (taken, so a nested call would make its own).
        var pool = t_pool ?? new HashSet<long>();
        t_pool = null;
        Add(pool, M.Repeat.TopK(history, Math.Max(k, 200)));
        Add(pool, M.ItemItem.TopK(history, Math.Max(k, 200)));
        Add(pool, M.Als.TopK(history, k));
        Add(pool, M.Category.TopK(history, k));
        Add(pool, M.Popularity.TopK(history, k));
        float alsMax = AlsMax(p), iiMax = p.IiMax;
        var best = new TopList(k);
        foreach (var item in pool)
            if (!excludeHistory || !p.InHistory(item)) best.Offer(item, ScoreOne(p, item, alsMax, null, iiMax));
        pool.Clear();
        if (k <= 1024) t_pool = pool; // a pool of a few hundred ids is kept for the next call
        return best.ToArray();
    }

    [ThreadStatic] private static HashSet<long>? t_pool;

    private static void Add(HashSet<long> pool, IReadOnlyList<ScoredItem> list)
    {
        for (int j = 0; j < list.Count; j++) pool.Add(list[j].ItemId);
    }
}
