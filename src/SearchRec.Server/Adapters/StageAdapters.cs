using System.Buffers;
using System.Globalization;
using SearchRec.Collab;
using SearchRec.Collab.Events;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Index;
using SearchRec.Ranking;
using SearchRec.Ranking.Interleaving;
using SearchRec.Ranking.Logging;
using SearchRec.Ranking.NextItem;

namespace SearchRec.Server.Adapters;

/// <summary>Product look-ups over the Lucene index, with the category ids the event log uses.</summary>
internal sealed class IndexCatalog(ProductCache products, CollabModels models) : ICatalog
{
    // Category path -> the id events use, learnt from items the collaborative models know.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _paths = new(StringComparer.Ordinal);

    public int Count => products.Count;

    /// <summary>The products held in memory in front of the index.</summary>
    public ProductCache Products => products;

    public Product? Get(string productId) => products.GetProduct(productId);

    public long? FormerCategoryOf(long itemId) => models.CategoryOf(itemId);

    public long CategoryIdOf(Product product)
    {
        string path = product.CategoryPath;
        if (long.TryParse(product.Id, NumberStyles.None, CultureInfo.InvariantCulture, out long id) && models.CategoryOf(id) is long known)
        {
            _paths.TryAdd(path, known);
            return known;
        }
        return _paths.TryGetValue(path, out long c) ? c : StableCategoryId(path);
    }

    /// <summary>An id for a category the event log has never seen: a stable hash, so it is the same in every process.</summary>
    internal static long StableCategoryId(string path)
    {
        ulong h = 14695981039346656037;   // FNV-1a
        foreach (char c in path) { h ^= c; h = unchecked(h * 1099511628211); }
        return (long)(h >> 2) + 1_000_000_000;
    }
}

/// <summary>
/// Search over the index. With a trained ranker, the ranking pipeline re-ranks the (cached) recall; without one,
/// BM25 is fused with the collaborative <c>blend</c> score of the user's history. Either way the user's history is
/// read from the event store at request time, so an event shows in that user's next search.
/// </summary>
internal sealed class IndexSearchBackend : ISearchBackend
{
    private readonly IProductRecall _products;
    private readonly CollabModels? _models;
    private readonly IEventStore? _events;
    private readonly SearchPipeline? _pipeline;
    private readonly int _window;
    private readonly float _personalWeight;

    [ThreadStatic] private static IReadOnlyList<RecallCandidate>? t_recalled;

    private readonly bool _rankerIsPersonal;
    private readonly Interleaver? _interleaver;
    private readonly SearchPipeline? _challenger;
    private readonly bool _challengerIsPersonal;

    public IndexSearchBackend(ProductCache products, CollabModels? models, IEventStore? events,
        Func<IProductRecall, SearchPipeline>? pipeline, int window, float personalWeight, Interleaver? interleaver = null)
    {
        _products = products;
        _models = models;
        _events = events;
        _window = window;
        _personalWeight = personalWeight;
        // The pipeline recalls through this shim, which hands it the host's cached candidates.
        var recall = new PrecomputedRecall(products);
        _pipeline = pipeline?.Invoke(recall);
        _rankerIsPersonal = IsPersonal(_pipeline);
        if (interleaver is not null && _pipeline is not null)
        {
            _interleaver = interleaver;
            _challenger = interleaver.Challenger(recall, _pipeline);
            _challengerIsPersonal = IsPersonal(_challenger);
            SharesFeatures = _pipeline.SharesFeaturesWith(_challenger);
        }
    }

    /// <summary>True when the challenger reads the control's features, so an interleaved search computes them once for both.</summary>
    internal bool SharesFeatures { get; }

    private static bool IsPersonal(SearchPipeline? pipeline) => pipeline is not null && pipeline.Schema.IndexOf("cf_item_item") >= 0;

    public bool HasRanker => _pipeline is not null;

    /// <summary>Most hits a ranker returns (<see cref="SearchPipeline.Search"/> takes a TopK of at most 1,000).</summary>
    internal const int MaxRanked = 1_000;

    public IReadOnlyList<RecallCandidate> Recall(SearchQuery query) => _products.Recall(new RecallRequest(query.Text)
    {
        TopN = _window, Category = query.Category, Brand = query.Brand, PriceMin = query.PriceMin, PriceMax = query.PriceMax,
    });

    public RankResult Rank(SearchQuery query, IReadOnlyList<RecallCandidate> candidates, long? userId, int k, bool explain)
    {
        if (candidates.Count == 0) return new RankResult([], []);
        if (_pipeline is null) return RankFused(candidates, userId, k, explain);
        // Only a list shown in the rankers' order can be credited to them, and only a known user's events can credit it.
        // The feature-log record waits for the page either way: the blend fused after a ranker, or the challenger's
        // picks, can show items the ranker placed below the logged depth.
        var ranked = _interleaver is not null && query.ShownInRankerOrder && userId is { } user && _interleaver.Takes(user, query.Text, out ulong seed)
            ? RankInterleaved(query, candidates, user, k, explain, seed)
            : RankWithPipeline(_pipeline, _rankerIsPersonal, query, candidates, userId, k, explain, holdFeatureLog: true);
        if (ranked.FeatureLog is { } pending && !query.HostWritesFeatureLog)
        {
            WritePage(pending, ranked);
            ranked = ranked with { FeatureLog = null };
        }
        return ranked;
    }

    // The hits a caller in process asked for are its page.
    private static void WritePage(PendingFeatureLog pending, RankResult ranked)
    {
        if (ranked.Interleaving is null)
        {
            pending.WritePlain(0, IdsOf(ranked.Hits));
            return;
        }
        var page = new InterleavedItem[ranked.Hits.Count];
        for (int i = 0; i < page.Length; i++) page[i] = new InterleavedItem(ranked.Hits[i].ProductId, ranked.Hits[i].Team ?? InterleavingTeam.Control);
        pending.Write(0, page);
    }

    // Both rankers rank the same candidates; the answer is their team draft. Each team's picks come from its own list in
    // that list's order, so one pass with a pointer per list finds each pick's hit (its score and explanation).
    private RankResult RankInterleaved(SearchQuery query, IReadOnlyList<RecallCandidate> candidates, long user, int k, bool explain, ulong seed)
    {
        RankResult control, challenger;
        long t0;
        double challengerInPipeline = 0;
        if (SharesFeatures)
        {
            // One recall and one feature matrix, scored by both rankers; the same schema makes both personal or neither,
            // so one fusion history serves both.
            var history = FusionHistory(_rankerIsPersonal, user);
            (SearchResponse First, SearchResponse Second) both;
            t_recalled = candidates;
            try { both = _pipeline!.SearchBoth(RequestFor(query, candidates, user, k, explain, history, holdFeatureLog: true), _challenger!); }
            finally { t_recalled = null; }
            control = Finish(both.First, history, k);
            // The challenger's stage: its model and top k inside the pipeline, then the rest here.
            challengerInPipeline = both.Second.Timings.ScoreMs + both.Second.Timings.TopKMs;
            t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            challenger = Finish(both.Second, history, k);
        }
        else
        {
            // The control's feature-log record waits for the page: it must hold the challenger's picks too.
            control = RankWithPipeline(_pipeline!, _rankerIsPersonal, query, candidates, user, k, explain, holdFeatureLog: true);
            t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            challenger = RankWithPipeline(_challenger!, _challengerIsPersonal, query, candidates, user, k, explain);
        }
        // Each list's first k suffice: no team reads further into its list than the k items drafted. A list shorter than
        // k ends the draft there: both rank the same candidates, so it is short because the ranker returns at most
        // MaxRanked of more candidates, and drafting on would give every later place to the team with items left.
        var drafted = TeamDraft.Interleave(IdsOf(control.Hits), IdsOf(challenger.Hits), Math.Min(k, Math.Min(control.Hits.Count, challenger.Hits.Count)), seed);
        var hits = new RankedHit[drafted.Length];
        int nextA = 0, nextB = 0;
        for (int i = 0; i < drafted.Length; i++)
        {
            var pick = drafted[i];
            var from = pick.Team == InterleavingTeam.Control ? control.Hits : challenger.Hits;
            ref int next = ref pick.Team == InterleavingTeam.Control ? ref nextA : ref nextB;
            while (from[next].ProductId != pick.ItemId) next++;
            hits[i] = from[next++] with { Team = pick.Team };
        }
        var stages = new KeyValuePair<string, double>[control.Stages.Count + 1];
        for (int i = 0; i < control.Stages.Count; i++) stages[i] = control.Stages[i];
        stages[^1] = new("challenger", challengerInPipeline + System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        return new RankResult(hits, stages) { RequestId = control.RequestId, Interleaving = _interleaver!.Rankers, FeatureLog = control.FeatureLog };
    }

    private static string[] IdsOf(IReadOnlyList<RankedHit> hits)
    {
        var ids = new string[hits.Count];
        for (int i = 0; i < ids.Length; i++) ids[i] = hits[i].ProductId;
        return ids;
    }

    private RankResult RankWithPipeline(SearchPipeline pipeline, bool rankerIsPersonal, SearchQuery query, IReadOnlyList<RecallCandidate> candidates, long? userId, int k, bool explain,
        bool holdFeatureLog = false)
    {
        var history = FusionHistory(rankerIsPersonal, userId);
        SearchResponse response;
        t_recalled = candidates;
        try
        {
            response = pipeline.Search(RequestFor(query, candidates, userId, k, explain, history, holdFeatureLog));
        }
        finally
        {
            t_recalled = null;
        }
        return Finish(response, history, k);
    }

    // A ranker without collaborative features is fused with the user's blend score, so search stays personal.
    private UserHistory? FusionHistory(bool rankerIsPersonal, long? userId)
    {
        if (rankerIsPersonal || userId is not { } u || _models is null || _events is null || !(_personalWeight > 0)) return null;
        var history = new UserHistory(u, _events.GetHistory(u, 200), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        return history.Count == 0 ? null : history;
    }

    private static SearchRequest RequestFor(SearchQuery query, IReadOnlyList<RecallCandidate> candidates, long? userId, int k, bool explain, UserHistory? history, bool holdFeatureLog) =>
        new(query.Text)
        {
            // The pipeline returns at most MaxRanked hits: a sorted search (every candidate) or a page past the
            // thousandth asked it for more and failed the request.
            UserId = userId, LogFeatures = query.ShownInRankerOrder, TopK = Math.Min(history is null ? Math.Min(k, candidates.Count) : candidates.Count, MaxRanked), Explain = explain,
            // The filters the host recalled with: the pipeline re-ranks those candidates, and its feature-log record names them.
            Category = query.Category, Brand = query.Brand, PriceMin = query.PriceMin, PriceMax = query.PriceMax, HoldFeatureLog = holdFeatureLog,
        };

    // The pipeline's hits as the host's, fused with the user's blend when there is a fusion history.
    private RankResult Finish(SearchResponse response, UserHistory? history, int k)
    {
        var t = response.Timings;
        var stages = new KeyValuePair<string, double>[] { new("load", t.RecallMs), new("features", t.FeaturesMs), new("model", t.ScoreMs), new("topk", t.TopKMs) };
        int n = response.Hits.Count;
        var personal = new float[n];
        var final = new float[n];
        if (history is not null)
        {
            var ids = new long[n];
            float lo = float.MaxValue, hi = float.MinValue, maxP = 0;
            for (int i = 0; i < n; i++)
            {
                ids[i] = long.TryParse(response.Hits[i].Product.Id, NumberStyles.None, CultureInfo.InvariantCulture, out long id) ? id : -1;
                lo = Math.Min(lo, response.Hits[i].Score);
                hi = Math.Max(hi, response.Hits[i].Score);
            }
            _models!.Blend.Score(history, ids, personal);
            for (int i = 0; i < n; i++)
            {
                if (float.IsNaN(personal[i]) || personal[i] < 0) personal[i] = 0;
                maxP = Math.Max(maxP, personal[i]);
            }
            for (int i = 0; i < n; i++)
            {
                personal[i] = maxP > 0 ? _personalWeight * personal[i] / maxP : 0;
                final[i] = (hi > lo ? (response.Hits[i].Score - lo) / (hi - lo) : 1f) + personal[i];
            }
        }
        else
        {
            for (int i = 0; i < n; i++) final[i] = response.Hits[i].Score;
        }
        var order = TopIndexes(final, Math.Min(k, n));
        var hits = new RankedHit[order.Length];
        for (int r = 0; r < order.Length; r++)
        {
            int i = order[r];
            var h = response.Hits[i];
            FeatureContribution[]? ex = null;
            if (h.Explanation is { } list)
            {
                int extra = history is null ? 0 : 1;
                ex = new FeatureContribution[list.Count + extra];
                for (int f = 0; f < list.Count; f++) ex[f] = FeatureContribution.Of(list[f].Feature, list[f].Value, list[f].Contribution);
                if (extra == 1) ex[^1] = FeatureContribution.Of("collab-blend (fused after the ranker)", personal[i], personal[i]);
            }
            hits[r] = new RankedHit(h.Product.Id, final[i], ex);
        }
        return new RankResult(hits, stages) { RequestId = response.RequestId, FeatureLog = response.FeatureLog };
    }

    private RankResult RankFused(IReadOnlyList<RecallCandidate> candidates, long? userId, int k, bool explain)
    {
        int n = candidates.Count;
        float[] personal = ArrayPool<float>.Shared.Rent(n);
        float[] final = ArrayPool<float>.Shared.Rent(n);
        long[] ids = ArrayPool<long>.Shared.Rent(n);
        try
        {
            float maxBm25 = 0;
            for (int i = 0; i < n; i++) maxBm25 = Math.Max(maxBm25, candidates[i].Score);
            float maxPersonal = 0;
            personal.AsSpan(0, n).Clear();
            if (userId is { } u && _models is not null && _events is not null && _personalWeight > 0)
            {
                var history = new UserHistory(u, _events.GetHistory(u, 200), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
                if (history.Count > 0)
                {
                    for (int i = 0; i < n; i++)
                        ids[i] = long.TryParse(candidates[i].ProductId, NumberStyles.None, CultureInfo.InvariantCulture, out long id) ? id : -1;
                    _models.Blend.Score(history, ids.AsSpan(0, n), personal.AsSpan(0, n));
                    for (int i = 0; i < n; i++)
                    {
                        if (float.IsNaN(personal[i]) || personal[i] < 0) personal[i] = 0;
                        maxPersonal = Math.Max(maxPersonal, personal[i]);
                    }
                }
            }
            for (int i = 0; i < n; i++)
            {
                float text = maxBm25 > 0 ? candidates[i].Score / maxBm25 : 0;
                float p = maxPersonal > 0 ? personal[i] / maxPersonal : 0;
                personal[i] = _personalWeight * p;
                final[i] = text + personal[i];
            }
            var order = TopIndexes(final.AsSpan(0, n), Math.Min(k, n));
            var hits = new RankedHit[order.Length];
            for (int r = 0; r < order.Length; r++)
            {
                int i = order[r];
                var c = candidates[i];
                hits[r] = new RankedHit(c.ProductId, final[i], explain
                    ? [new FeatureContribution("bm25", c.Score, final[i] - personal[i]), new FeatureContribution("collab-blend", personal[i], personal[i])]
                    : null);
            }
            return new RankResult(hits, []);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(personal);
            ArrayPool<float>.Shared.Return(final);
            ArrayPool<long>.Shared.Return(ids);
        }
    }

    /// <summary>Indexes of the k best scores, best first; ties keep recall order.</summary>
    private static int[] TopIndexes(ReadOnlySpan<float> scores, int k)
    {
        var top = new int[k];
        int filled = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            float s = scores[i];
            if (filled == k && !(s > scores[top[k - 1]])) continue;
            int pos = filled < k ? filled++ : k - 1;
            while (pos > 0 && s > scores[top[pos - 1]]) { top[pos] = top[pos - 1]; pos--; }
            top[pos] = i;
        }
        return top;
    }

    /// <summary>Recall for the pipeline: the candidates the host already has (from its cache) when set, else the index.</summary>
    private sealed class PrecomputedRecall(IProductRecall products) : IProductRecall
    {
        public int Count => products.Count;
        public IReadOnlyList<RecallCandidate> Recall(RecallRequest request) => t_recalled ?? products.Recall(request);
        public Product? GetProduct(string productId) => products.GetProduct(productId);
        public IReadOnlyList<(string ProductId, float Score)> MoreLikeThis(string productId, int k) => products.MoreLikeThis(productId, k);
    }
}

/// <summary>
/// What an interleaving service compares: a challenger ranker beside the control, the share of eligible searches
/// that are interleaved, and the names the impression log gives them.
/// </summary>
/// <param name="Challenger">Builds the challenger's pipeline over the backend's recall, given the control's pipeline (whose features it may share).</param>
/// <param name="Rankers">The two rankers' names and kinds.</param>
/// <param name="Share">The fraction of eligible searches interleaved, in (0, 1].</param>
internal sealed record Interleaver(Func<IProductRecall, SearchPipeline, SearchPipeline> Challenger, InterleavedRankers Rankers, double Share)
{
    /// <summary>
    /// The team-draft seed of a user's query, and whether that user and query are interleaved: both follow from the
    /// user and the normalised text alone (no generation, no time), so every page and repeat of a search is drafted
    /// alike and a user+query is always in or always out.
    /// </summary>
    public bool Takes(long user, string text, out ulong seed)
    {
        seed = TeamDraft.SeedOf(user.ToString(CultureInfo.InvariantCulture) + "\n" + text);
        return Share >= 1 || Fraction(seed) < Share;
    }

    // A uniform [0, 1) from the seed, mixed first (SplitMix64's finaliser) so that it does not follow the draft's coin flips.
    internal static double Fraction(ulong seed)
    {
        ulong z = seed ^ 0x5851F42D4C957F2DUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}

/// <summary>Similar items from the collaborative stage (behaviour, content, category), leaning to the user's history.</summary>
internal sealed class CollabSimilarBackend(SimilarItems similar) : ISimilarBackend
{
    public IReadOnlyList<ScoredItem> Similar(string productId, long? userId, int k)
    {
        if (!long.TryParse(productId, NumberStyles.None, CultureInfo.InvariantCulture, out long id)) return [];
        var found = similar.Find(id, userId, k);
        var list = new ScoredItem[found.Count];
        for (int i = 0; i < list.Length; i++)
            list[i] = new ScoredItem(found[i].ItemId.ToString(CultureInfo.InvariantCulture), found[i].Score, found[i].SourceNames);
        return list;
    }
}

/// <summary>
/// The home-page feed over the user's live history (read from the event store per request, so the user's latest event
/// counts at once): the <c>blend</c> scorer, or with a next-item ranker its order of the collaborative pool
/// (<c>fused</c>); popular items for a user with no history either way.
/// </summary>
internal sealed class CollabRecommendationBackend(CollabModels models, IEventStore events, NextItemRecommender? feed = null, int historyDepth = 200) : IRecommendationBackend
{
    public IReadOnlyList<ScoredItem> Recommend(long userId, int k)
    {
        var history = new UserHistory(userId, events.GetHistory(userId, historyDepth), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var (top, source) = history.Count == 0 ? (models.Popularity.TopK(history, k), "popularity")
            : feed is null ? (models.Blend.TopK(history, k), "blend")
            : (feed.Recommend(history, k), "fused");
        var list = new ScoredItem[top.Count];
        for (int i = 0; i < list.Length; i++)
            list[i] = new ScoredItem(top[i].ItemId.ToString(CultureInfo.InvariantCulture), top[i].Score, source);
        return list;
    }
}

/// <summary>Live popularity counts: each stored event goes to the collaborative models at once.</summary>
internal sealed class CollabObserver(CollabModels models) : IEventObserver
{
    public void Observe(UserEvent userEvent) => models.Observe(userEvent);
}
