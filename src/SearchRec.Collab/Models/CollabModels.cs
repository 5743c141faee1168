using System.Collections.Concurrent;
using System.Diagnostics;
using SearchRec.Core;
using SearchRec.Core.Events;

namespace SearchRec.Collab.Models;

/// <summary>
/// The trained collaborative models as one bundle: popularity (overall and per category, time-decayed), the user's
/// own recent items (<c>repeat</c>), item-to-item co-occurrence neighbours, implicit ALS item factors, category
/// affinity, and a fused <c>blend</c>. Train once with <see cref="Train"/>, <see cref="Save"/> to a folder and
/// <see cref="Load"/> without retraining. Thread-safe for scoring; <see cref="Observe"/> may run beside scoring.
/// </summary>
public sealed partial class CollabModels
{
    internal CollabOptions Options = new();
    internal long ReferenceTime;
    internal long[] ItemIds = [];
    internal Dictionary<long, int> ItemIndex = [];
    internal int[] ItemCat = [];
    internal long[] CatIds = [];
    internal Dictionary<long, int> CatIndex = [];
    internal float[] Pop = [];
    internal float MaxPop;
    internal int[] TopOverall = [];
    internal int[][] TopByCat = [];
    internal float[] CatMaxPop = [];
    internal int[] NbrStart = [0];
    internal int[] NbrItem = [];
    internal float[] NbrSim = [];
    internal int Factors;
    internal ItemFactorTable ItemFactors = ItemFactorTable.Empty;
    internal float[] Gram = [];
    internal readonly ConcurrentDictionary<long, float> LivePop = new();
    internal readonly ConcurrentDictionary<long, long> LiveCategory = new();
    private Dictionary<string, IRecScorer>? _scorers;

    internal CollabModels() { }

    /// <summary>What the models were trained on, with what, and how well they did.</summary>
    public ModelCard Card { get; internal set; } = new();

    /// <summary>Number of items the models know.</summary>
    public int ItemCount => ItemIds.Length;

    /// <summary>The parameters the models were trained with (a copy).</summary>
    public CollabOptions TrainedOptions => Clone(Options);

    /// <summary>Sets the blend weights (the other options are fixed by training); validated first.</summary>
    public void SetBlendWeights(float repeat, float itemItem, float als, float category, float popularity)
    {
        var o = Clone(Options);
        o.BlendRepeat = repeat; o.BlendItemItem = itemItem; o.BlendAls = als; o.BlendCategory = category; o.BlendPopularity = popularity;
        Options = o.Validate();
    }

    /// <summary>Popularity, decayed by <see cref="CollabOptions.PopularityHalfLifeDays"/> (<c>popularity</c>).</summary>
    public IRecScorer Popularity => Scorer("popularity");
    /// <summary>The user's own recent items, by behaviour weight and recency (<c>repeat</c>).</summary>
    public IRecScorer Repeat => Scorer("repeat");
    /// <summary>Item-to-item co-occurrence neighbours of the user's items (<c>item-item</c>).</summary>
    public IRecScorer ItemItem => Scorer("item-item");
    /// <summary>Implicit ALS: dot product of the folded-in user vector and item factors (<c>als</c>).</summary>
    public IRecScorer Als => Scorer("als");
    /// <summary>The user's category affinity times in-category popularity (<c>category</c>).</summary>
    public IRecScorer Category => Scorer("category");
    /// <summary>A fixed-weight fusion of repeat, item-item, ALS, category and popularity (<c>blend</c>).</summary>
    public IRecScorer Blend => Scorer("blend");

    /// <summary>The names accepted by <see cref="Scorer"/>.</summary>
    public static IReadOnlyList<string> ScorerNames { get; } = ["popularity", "repeat", "item-item", "als", "category", "blend"];

    /// <summary>A scorer by name (see <see cref="ScorerNames"/>).</summary>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public IRecScorer Scorer(string name)
    {
        Guard.NotNull(name);
        var map = _scorers ??= BuildScorers();
        return map.TryGetValue(name, out var s)
            ? s
            : throw new ArgumentException($"Unknown model '{name}'; expected one of {string.Join(", ", ScorerNames)}.", nameof(name));
    }

    private Dictionary<string, IRecScorer> BuildScorers()
    {
        var list = new IRecScorer[]
        {
            new PopularityScorer(this), new RepeatScorer(this), new ItemItemScorer(this), new AlsScorer(this),
            new CategoryScorer(this), new BlendScorer(this),
        };
        return list.ToDictionary(s => s.Name, StringComparer.Ordinal);
    }

    /// <summary>
    /// Takes in one new event in real time: popularity counts and the item's category are updated at once.
    /// Neighbours and ALS factors change only on retraining; a user's side needs nothing, since scorers fold in
    /// the history they are given.
    /// </summary>
    public void Observe(UserEvent e)
    {
        if (e.ItemId < 0 || e.CategoryId < 0) throw new ArgumentOutOfRangeException(nameof(e), "Event ids must not be negative.");
        var w = (float)(Options.Weight(e.Behavior) * DecayGrowth(e.Timestamp));
        LivePop.AddOrUpdate(e.ItemId, w, (_, old) => old + w);
        if (!ItemIndex.ContainsKey(e.ItemId)) LiveCategory[e.ItemId] = e.CategoryId;
    }

    /// <summary>The category of an item, or null when unknown.</summary>
    public long? CategoryOf(long itemId)
    {
        if (ItemIndex.TryGetValue(itemId, out var i)) return CatIds[ItemCat[i]];
        return LiveCategory.TryGetValue(itemId, out var c) ? c : null;
    }

    /// <summary>Popularity score of an item (decayed, including live observations); NaN when never seen.</summary>
    public float PopularityOf(long itemId)
    {
        bool known = ItemIndex.TryGetValue(itemId, out var i);
        bool live = LivePop.TryGetValue(itemId, out var l);
        if (!known && !live) return float.NaN;
        return (known ? Pop[i] : 0f) + (live ? l : 0f);
    }

    /// <summary>The most popular items of a category, best first (cold start by category); empty when unknown.</summary>
    public IReadOnlyList<ScoredItem> TopKInCategory(long categoryId, int k)
    {
        Guard.Positive(k);
        if (!CatIndex.TryGetValue(categoryId, out var c)) return [];
        var top = TopByCat[c];
        var list = new List<ScoredItem>(Math.Min(k, top.Length));
        for (int j = 0; j < top.Length && list.Count < k; j++) list.Add(new ScoredItem(ItemIds[top[j]], Pop[top[j]]));
        return list;
    }

    /// <summary>Behavioural neighbours of an item (co-occurrence, normalised), best first; empty when unknown.</summary>
    public IReadOnlyList<ScoredItem> Neighbours(long itemId, int k)
    {
        Guard.Positive(k);
        if (!ItemIndex.TryGetValue(itemId, out var i)) return [];
        int s = NbrStart[i], e = Math.Min(NbrStart[i + 1], NbrStart[i] + k);
        var list = new List<ScoredItem>(e - s);
        for (int j = s; j < e; j++) list.Add(new ScoredItem(ItemIds[NbrItem[j]], NbrSim[j]));
        return list;
    }

    // exp growth form of decay: a weight observed at t counts 2^((t - t0)/halfLife), so live additions stay comparable.
    internal double DecayGrowth(long ts) =>
        Math.Pow(2, Math.Clamp((ts - ReferenceTime) / (Options.PopularityHalfLifeDays * 86400.0), -60, 30));

    internal static CollabOptions Clone(CollabOptions o) => new()
    {
        WeightView = o.WeightView, WeightFavorite = o.WeightFavorite, WeightCart = o.WeightCart, WeightBuy = o.WeightBuy,
        PopularityHalfLifeDays = o.PopularityHalfLifeDays, HistoryHalfLifeDays = o.HistoryHalfLifeDays,
        CoOccurrenceHalfLifeDays = o.CoOccurrenceHalfLifeDays, CoOccurrenceSteps = o.CoOccurrenceSteps,
        CoOccurrenceSeconds = o.CoOccurrenceSeconds, Neighbours = o.Neighbours, Factors = o.Factors,
        AlsIterations = o.AlsIterations, CgSteps = o.CgSteps, Regularization = o.Regularization, Alpha = o.Alpha,
        Seed = o.Seed, SkipAls = o.SkipAls, Threads = o.Threads, MaxHistory = o.MaxHistory,
        BlendRepeat = o.BlendRepeat, BlendItemItem = o.BlendItemItem, BlendAls = o.BlendAls, BlendCategory = o.BlendCategory,
        BlendPopularity = o.BlendPopularity,
    };

    /// <summary>Trains every model from events (any order).</summary>
    /// <param name="events">The training events.</param>
    /// <param name="options">Parameters; validated first.</param>
    /// <param name="progress">Receives a report per step and regularly within long steps.</param>
    public static CollabModels Train(IEnumerable<UserEvent> events, CollabOptions options, IProgress<TrainProgress>? progress = null)
    {
        Guard.NotNull(events);
        Guard.NotNull(options);
        var o = Clone(options).Validate();
        var total = Stopwatch.StartNew();
        var m = new CollabModels { Options = o };
        var data = events as UserEvent[] ?? events.ToArray();
        progress?.Report(new TrainProgress("load", 1, $"{data.Length:N0} events"));
        var timings = new Dictionary<string, double>();
        var sw = Stopwatch.StartNew();

        long users = BuildIndex(m, data);
        BuildPopularity(m, data);
        timings["popularity_s"] = sw.Elapsed.TotalSeconds;
        progress?.Report(new TrainProgress("popularity", 1, $"{m.ItemIds.Length:N0} items, {m.CatIds.Length:N0} categories, {users:N0} users"));

        sw.Restart();
        var seq = Sequences.Build(m, data);
        ItemItemBuilder.Build(m, seq, progress);
        timings["item_item_s"] = sw.Elapsed.TotalSeconds;

        sw.Restart();
        if (!o.SkipAls)
        {
            AlsTrainer.Train(m, seq, progress, timings);
            timings["als_s"] = sw.Elapsed.TotalSeconds;
        }
        timings["total_s"] = total.Elapsed.TotalSeconds;

        long minTs = long.MaxValue, maxTs = long.MinValue;
        foreach (var e in data) { minTs = Math.Min(minTs, e.Timestamp); maxTs = Math.Max(maxTs, e.Timestamp); }
        m.Card = new ModelCard
        {
            Events = data.Length,
            Users = users,
            Items = m.ItemIds.Length,
            Categories = m.CatIds.Length,
            FirstTimestamp = data.Length > 0 ? minTs : 0,
            LastTimestamp = data.Length > 0 ? maxTs : 0,
            TrainedAtUtc = DateTimeOffset.UtcNow,
            Options = Clone(o),
            TimingsSeconds = timings,
        };
        return m;
    }

    private static long BuildIndex(CollabModels m, UserEvent[] data)
    {
        var items = new Dictionary<long, int>();
        var cats = new Dictionary<long, int>();
        var itemIds = new List<long>();
        var itemCat = new List<int>();
        var catIds = new List<long>();
        var users = new HashSet<long>();
        long t0 = long.MinValue;
        foreach (var e in data)
        {
            users.Add(e.UserId);
            t0 = Math.Max(t0, e.Timestamp);
            if (!cats.TryGetValue(e.CategoryId, out var c)) { c = catIds.Count; cats.Add(e.CategoryId, c); catIds.Add(e.CategoryId); }
            if (!items.TryGetValue(e.ItemId, out _)) { items.Add(e.ItemId, itemIds.Count); itemIds.Add(e.ItemId); itemCat.Add(c); }
        }
        m.ReferenceTime = data.Length > 0 ? t0 : 0;
        m.ItemIndex = items;
        m.ItemIds = itemIds.ToArray();
        m.ItemCat = itemCat.ToArray();
        m.CatIndex = cats;
        m.CatIds = catIds.ToArray();
        return users.Count;
    }

    private static void BuildPopularity(CollabModels m, UserEvent[] data)
    {
        var pop = new float[m.ItemIds.Length];
        foreach (var e in data) pop[m.ItemIndex[e.ItemId]] += (float)(m.Options.Weight(e.Behavior) * m.DecayGrowth(e.Timestamp));
        m.Pop = pop;
        m.FinishPopularity();
    }

    internal void FinishPopularity()
    {
        var pop = Pop;
        MaxPop = pop.Length > 0 ? pop.Max() : 0f;
        var order = Enumerable.Range(0, pop.Length).ToArray();
        Array.Sort(order, (a, b) => pop[b].CompareTo(pop[a]) is var c && c != 0 ? c : a.CompareTo(b));
        TopOverall = order.Take(1000).ToArray();
        var perCat = new List<int>[CatIds.Length];
        for (int c = 0; c < perCat.Length; c++) perCat[c] = [];
        CatMaxPop = new float[CatIds.Length];
        foreach (var i in order)
        {
            var l = perCat[ItemCat[i]];
            if (l.Count < 200) l.Add(i);
            CatMaxPop[ItemCat[i]] = Math.Max(CatMaxPop[ItemCat[i]], pop[i]);
        }
        TopByCat = perCat.Select(l => l.ToArray()).ToArray();
    }
}
