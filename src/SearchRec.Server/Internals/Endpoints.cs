using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using SearchRec.Core.Events;
using SearchRec.Index;
using SearchRec.Ranking.Interleaving;

namespace SearchRec.Server.Internals;

/// <summary>An item in a ranked answer: the product's display fields plus its score and, where known, its source.</summary>
internal sealed record ItemResult(string Id, string Title, string? Brand, double? Price, string Category, double Score,
    string? Source = null, IReadOnlyList<FeatureContribution>? Explain = null)
{
    /// <summary>Where the search's words occur in the title (<c>highlight=true</c>); else null.</summary>
    public IReadOnlyList<SearchRec.Text.TextSpan>? Highlights { get; init; }

    /// <summary>In an interleaved answer, the ranker whose pick this is: <c>control</c> or <c>challenger</c>; else null (not written).</summary>
    public string? Team { get; init; }
}

internal sealed record SearchResponse(string Query, long? User, int K, string Generation, double TookMs,
    IReadOnlyList<ItemResult> Results, IReadOnlyDictionary<string, double> StagesMs, string? RequestId = null)
{
    /// <summary>How many ranked results came before these (a later page); 0 for the first.</summary>
    public int Offset { get; init; }

    /// <summary>How many recalled candidates were re-ranked (the request's window, or the whole recall).</summary>
    public int Window { get; init; }

    /// <summary>Category and brand counts and the price range over the re-ranked candidates (<c>facets=true</c>); else null.</summary>
    public SearchFacets? Facets { get; init; }

    /// <summary>The Chinese text searched instead when the typed Latin letters found nothing and spell it in pinyin (<c>lianyiqun</c> → <c>连衣裙</c>); else null.</summary>
    public string? SpelledAs { get; init; }

    /// <summary>A completion that reads like the search, one or more characters homophones of the typed ones (<c>连衣群</c> → <c>连衣裙</c>), when the search is no completion itself; else null. The results are still the search's own.</summary>
    public string? DidYouMean { get; init; }
}

/// <summary>One product looked up by id (<c>GET /items/{id}</c>): its display fields, no score (a look-up ranks nothing).</summary>
internal sealed record ProductResult(string Id, string Title, string? Brand, double? Price, string Category);

internal sealed record ItemsResponse(string? Item, long? User, int K, string Generation, double TookMs, IReadOnlyList<ItemResult> Results);

internal sealed record SuggestResponse(string Query, double TookMs, IReadOnlyList<Suggestion> Suggestions);

internal sealed record EventsResponse(int Accepted, int Duplicates, long Stored);

internal sealed record ReloadResponse(string Generation, string? Previous, double Ms, bool Retrained);

internal sealed record EventCountResponse(long Count, string Generation);

internal sealed record ProductsResponse(int Added, int Replaced, int Deleted, IReadOnlyList<string> NotFound, int Products,
    string Generation, string? Previous, double Ms);

internal sealed record ApiError(string Error, string? Field = null, IReadOnlyList<string>? Problems = null);

/// <summary>The HTTP endpoints. Every handler rents the current generation for the whole request.</summary>
internal static class Endpoints
{
    public static void Map(WebApplication app, ServerOptions o)
    {
        MapGetAndHead(app, "/search", SearchAsync)
            .WithName("search").WithSummary("Search products; personalised when `user` is given.")
            .WithDescription("q: text (required); user: user id; k: 1..MaxK; offset: skip that many ranked results (the next page: offset=k); category, brand, priceMin, priceMax: filters; explain: true for feature contributions; facets: true for leaf-category and brand counts (at most 10 each) and the price range over the re-ranked candidates, after the filters; window: re-rank only the best 1..10,000 of the recalled candidates (the rescore window; at most the service's --window, default 200, which is also what an absent window re-ranks); sort: relevance (the default), price_asc, price_desc or popular, ordering the re-ranked candidates that hold every word of q (all of them when none does) and paging through them; highlight: true for each title's highlights, where the search's words occur (start and length in UTF-16 units). A search of Latin letters that recalls nothing runs for the Chinese they spell in pinyin (spelledAs); a search that is no completion may get didYouMean. A service comparing two rankers (serve --challenger) answers a search by a known user in relevance order with a team-draft interleaving of both rankers' lists: each result then has team, control or challenger.")
            .Produces<SearchResponse>().Produces<ApiError>(400);
        MapGetAndHead(app, "/suggest", Suggest)
            .WithName("suggest").WithSummary("Completions of what a shopper has typed: the catalog's categories, brands and brand + category pairs, and log queries that find products.")
            .WithDescription("q: the text typed so far (required); k: 1..20 completions (default 8). Matching ignores case, width, traditional characters, spaces and punctuation.")
            .Produces<SuggestResponse>().Produces<ApiError>(400);
        MapGetAndHead(app, "/items/{id}", ItemAsync)
            .WithName("item").WithSummary("One product (no score: a look-up ranks nothing).").Produces<ProductResult>().Produces<ApiError>(400).Produces<ApiError>(404);
        MapGetAndHead(app, "/items/{id}/similar", SimilarAsync)
            .WithName("similar").WithSummary("Items similar to this one (the widget), with the source of each.")
            .Produces<ItemsResponse>().Produces<ApiError>(400).Produces<ApiError>(404);
        MapGetAndHead(app, "/users/{id}/recommendations", RecommendAsync)
            .WithName("recommendations").WithSummary("A home-page feed for a user from the collaborative sources: the blend, or their pool ordered by the next-item ranker (serve --feed-ranker); popular items for a user with no history.")
            .Produces<ItemsResponse>().Produces<ApiError>(400);
        app.MapPost("/events", EventsAsync)
            .WithName("events").WithSummary("Store one event or a batch durably, then apply it to the user's history. Needs X-Api-Key.")
            .Accepts<JsonElement>("application/json").Produces<EventsResponse>().Produces<ApiError>(400).Produces<ApiError>(401).Produces<ApiError>(403)
            .Produces<ApiError>(413).Produces<ApiError>(415);
        app.MapPost("/admin/reload", ReloadAsync)
            .WithName("reload").WithSummary("Swap in a newly loaded (or, with retrain=true, retrained) generation without dropping requests. Needs X-Api-Key.")
            .Produces<ReloadResponse>().Produces<ApiError>(400).Produces<ApiError>(401).Produces<ApiError>(403).Produces<ApiError>(409).Produces<ApiError>(500);
        if (app.Services.GetService(typeof(IGenerationLoader)) is ICatalogUpdater)
            app.MapPost("/admin/products", ProductsAsync)
                .WithName("products").WithSummary("Add, replace (by id) or remove products, then swap in a generation that serves them, without dropping requests. Needs X-Api-Key.")
                .WithDescription("Body: {\"upsert\": [products as in a catalog's JSON Lines], \"delete\": [ids]}; at most MaxProductsPerRequest (1000) in all. A body with any problem changes nothing.")
                .Accepts<JsonElement>("application/json").Produces<ProductsResponse>().Produces<ApiError>(400).Produces<ApiError>(401).Produces<ApiError>(403)
                .Produces<ApiError>(409).Produces<ApiError>(413).Produces<ApiError>(415).Produces<ApiError>(500);
        MapGetAndHead(app, "/admin/events/count", (HttpContext ctx, ServiceState state, IEventLog log) =>
            RequireKey(ctx, o, allowEventsKey: false) ?? Results.Json(new EventCountResponse(log.Count, state.Peek.Id)))
            .WithName("events-count").WithSummary("Number of events in the store. Needs X-Api-Key.")
            .Produces<EventCountResponse>().Produces<ApiError>(401).Produces<ApiError>(403);
        MapGetAndHead(app, "/healthz", (ServiceState state) =>
        {
            var g = state.Peek;
            return Results.Json(new { status = "ok", generation = g.Id, products = g.Catalog.Count });
        }).WithName("healthz");
        // /healthz (and Prometheus' /metrics) keep answering whatever a probe or scraper appends; /samples is API.
        MapGetAndHead(app, "/samples", (HttpContext ctx, ServiceState state) =>
        {
            QueryParams.OnlyKnown(ctx.Request);
            var s = state.Peek.Samples;
            return Results.Json(new ShopSamples(Take(s.Queries, 200), Take(s.ItemIds, 200), Take(s.UserIds, 50)));
        }).WithName("samples").WithSummary("Example queries, items and users of the loaded shop (for the page and the load test).")
            .Produces<ShopSamples>().Produces<ApiError>(400);
        if (o.ServePage)
        {
            MapGetAndHead(app, "/page/config", (HttpContext ctx) =>
            {
                // The events key changes at every start: a browser must not keep an old one.
                ctx.Response.Headers.CacheControl = "no-store";
                return Results.Json(new { eventsKey = o.EventsKey, defaultK = o.DefaultK, maxK = o.MaxK, maxQueryLength = o.MaxQueryLength, requestTimeoutMs = PageRequestTimeoutMs });
            }).ExcludeFromDescription();
            PageAssets.Map(app);
        }
    }

    /// <summary>How long the page waits for an answer before it says the service did not answer.</summary>
    internal const int PageRequestTimeoutMs = 10_000;

    /// <summary>
    /// Maps a GET endpoint that answers HEAD as well (monitors and <c>curl -I</c> ask with HEAD; HTTP wants every GET
    /// resource to take it). Kestrel sends the headers of the GET answer and no body. The HEAD route stays out of the
    /// OpenAPI document.
    /// </summary>
    internal static RouteHandlerBuilder MapGetAndHead(WebApplication app, string pattern, Delegate handler)
    {
        app.MapMethods(pattern, [HttpMethods.Head], handler).ExcludeFromDescription();
        return app.MapGet(pattern, handler);
    }

    /// <summary>
    /// Lets an endpoint mapped by a library take GET and HEAD and no other method, as the endpoints of
    /// <see cref="MapGetAndHead"/>: <c>MapOpenApi</c> maps GET alone (HEAD got 405), the Prometheus endpoint every
    /// method (POST or DELETE got the metrics). Kestrel sends the GET answer's headers and no body; the method list
    /// replaces the endpoint's own (the last one is the one routing reads).
    /// </summary>
    internal static TBuilder AnswerHeadToo<TBuilder>(TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]));

    private static IReadOnlyList<T> Take<T>(IReadOnlyList<T> list, int n) => list.Count <= n ? list : list.Take(n).ToArray();

    /// <summary>Completions a request asks for by default.</summary>
    internal const int DefaultSuggestions = 8;

    private static IResult Suggest(HttpContext ctx, ServiceState state, ServerOptions o, [FromQuery] string? q, [FromQuery] string? k)
    {
        long t0 = Stopwatch.GetTimestamp();
        QueryParams.OnlyKnown(ctx.Request, "q", "k");
        var typed = QueryParams.NormaliseQuery(q, o.MaxQueryLength);
        int n = DefaultSuggestions;
        if (k is not null && (!QueryParams.TryInt(k, out n) || n < 1 || n > QuerySuggester.MaxK))
            throw new BadParameterException("k", $"k must be an integer between 1 and {QuerySuggester.MaxK} (got '{QueryParams.Clip(k)}')");
        using var lease = state.Rent();
        var found = lease.Generation.Suggester?.Suggest(typed, n) ?? [];
        return Results.Json(new SuggestResponse(typed, Stopwatch.GetElapsedTime(t0).TotalMilliseconds, found));
    }

    private static async Task<IResult> SearchAsync(HttpContext ctx, ServiceState state, ServiceCache cache, ServerMetrics metrics, ServerOptions o,
        [FromQuery] string? q, [FromQuery] string? user, [FromQuery] string? k, [FromQuery] string? category, [FromQuery] string? brand,
        [FromQuery] string? priceMin, [FromQuery] string? priceMax, [FromQuery] string? explain, [FromQuery] string? window, [FromQuery] string? offset,
        [FromQuery] string? facets, [FromQuery] string? highlight, [FromQuery] string? sort)
    {
        long t0 = Stopwatch.GetTimestamp();
        QueryParams.OnlyKnown(ctx.Request, "q", "user", "k", "offset", "category", "brand", "priceMin", "priceMax", "explain", "window", "facets", "highlight", "sort");
        string text = QueryParams.NormaliseQuery(q, o.MaxQueryLength);
        long? userId = QueryParams.User(user);
        int topK = QueryParams.K(k, o);
        int skip = QueryParams.Offset(offset, topK);
        double? min = QueryParams.Price(priceMin, "priceMin"), max = QueryParams.Price(priceMax, "priceMax");
        if (min > max) throw new BadParameterException("priceMin", $"priceMin ({min}) is above priceMax ({max})");
        bool wantExplain = QueryParams.Flag(explain, "explain");
        bool wantFacets = QueryParams.Flag(facets, "facets");
        bool wantHighlights = QueryParams.Flag(highlight, "highlight");
        var order = QueryParams.Sort(sort);
        int? rescore = QueryParams.Window(window);
        var query = new SearchQuery(text, QueryParams.Filter(category, "category", o.MaxQueryLength),
            QueryParams.Filter(brand, "brand", o.MaxQueryLength), min, max) { HostWritesFeatureLog = true };   // with the page it shows, below

        using var lease = state.Rent();
        var gen = lease.Generation;
        var stages = new Dictionary<string, double>(4, StringComparer.Ordinal);
        long t1 = Stopwatch.GetTimestamp();
        var candidates = await cache.RecallAsync(gen, query, ctx.RequestAborted).ConfigureAwait(false);
        // Pinyin typed without an input method finds no Chinese title: search what it spells, and say so.
        string? spelledAs = null;
        if (candidates.Count == 0 && gen.Suggester?.Respell(text) is { } respelled)
        {
            var respelledQuery = query with { Text = respelled };
            var found = await cache.RecallAsync(gen, respelledQuery, ctx.RequestAborted).ConfigureAwait(false);
            // Said only when it finds something (filters may leave it nothing too).
            if (found.Count > 0) (spelledAs, query, candidates) = (respelled, respelledQuery, found);
        }
        stages["recall"] = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;

        long t2 = Stopwatch.GetTimestamp();
        // The recall is BM25's best first, so its first w are what a recall of w would return: one cached recall serves every window.
        if (rescore < candidates.Count) candidates = candidates is RecallCandidate[] all ? new ArraySegment<RecallCandidate>(all, 0, rescore.Value) : [.. candidates.Take(rescore.Value)];
        // Another order is not feature-logged (docs/service.md, Feature logging).
        if (order != SearchSort.Relevance) query = query with { ShownInRankerOrder = false };
        // A later page ranks the earlier ones too: the ranking is per user and not cached, so a page is a slice of it.
        // Another order sorts every re-ranked candidate (ties keep the ranker's order), then pages through them.
        var ranked = gen.Search.Rank(query, candidates, userId, order == SearchSort.Relevance ? skip + topK : Math.Max(candidates.Count, 1), wantExplain);
        var hits = order == SearchSort.Relevance ? ranked.Hits : Sorted(AboutTheWholeQuery(ranked.Hits, query.Text, gen), order, gen);
        double rankSeconds = Stopwatch.GetElapsedTime(t2).TotalSeconds;
        metrics.Stage("rank", rankSeconds);
        stages["rank"] = rankSeconds * 1000;
        foreach (var (name, ms) in ranked.Stages)
        {
            string stage = ServerMetrics.RankStage(name);
            metrics.Stage(stage, ms / 1000);
            stages[stage] = ms;
        }

        long t3 = Stopwatch.GetTimestamp();
        var marks = wantHighlights ? SearchRec.Text.TextHighlighter.Words(query.Text) : null;
        int end = Math.Min(hits.Count, skip + topK);
        var results = new List<ItemResult>(Math.Max(0, end - skip));
        // An interleaved page is logged as shown, for the report that credits the teams with the user's later events, and
        // a feature-log record holds every item of the page, however far below its depth the ranker placed it (nothing
        // is gathered without a record); a HEAD answer (a monitor, a link checker) shows nobody a page.
        bool showsPage = !HttpMethods.IsHead(ctx.Request.Method);
        var shown = ranked.Interleaving is not null && showsPage ? new List<InterleavedItem>(Math.Max(0, end - skip)) : null;
        var shownIds = ranked.FeatureLog is not null && ranked.Interleaving is null && showsPage ? new List<string>(Math.Max(0, end - skip)) : null;
        for (int h = skip; h < end; h++)
        {
            var hit = hits[h];
            var view = await cache.ItemAsync(gen, hit.ProductId, ctx.RequestAborted).ConfigureAwait(false);
            if (view is null) continue;
            results.Add(new ItemResult(view.Id, view.Title, view.Brand, view.Price, view.Category, hit.Score, null, hit.Explain)
                { Highlights = marks is null ? null : SearchRec.Text.TextHighlighter.Find(view.Title, marks), Team = hit.Team is { } team ? JsonlInterleavingLog.NameOf(team) : null });
            if (shown is not null && hit.Team is { } drafted) shown.Add(new InterleavedItem(view.Id, drafted));
            shownIds?.Add(view.Id);
        }
        if (ranked.FeatureLog is { } pending)
        {
            // A record of a page nobody saw would pass its candidates over for whatever the user does next.
            if (!showsPage) pending.Discard();
            else if (ranked.Interleaving is not null) pending.Write(skip, shown ?? []);
            else pending.WritePlain(skip, shownIds ?? []);
        }
        if (shown is { Count: > 0 } && gen.InterleavingLog is not null)
            gen.InterleavingLog.Log(new InterleavingImpression(ranked.RequestId ?? "", DateTimeOffset.UtcNow, userId!.Value, query.Text, skip, shown, ranked.Interleaving!));
        double enrich = Stopwatch.GetElapsedTime(t3).TotalSeconds;
        metrics.Stage("enrich", enrich);
        stages["enrich"] = enrich * 1000;

        SearchFacets? counted = null;
        if (wantFacets)
        {
            // Over the candidates just re-ranked (the cached recall, sliced to the window), read from the catalog in memory.
            long t4 = Stopwatch.GetTimestamp();
            counted = SearchFacets.Count(gen.Catalog, candidates);
            double facetSeconds = Stopwatch.GetElapsedTime(t4).TotalSeconds;
            metrics.Stage("facets", facetSeconds);
            stages["facets"] = facetSeconds * 1000;
        }
        return Results.Json(new SearchResponse(text, userId, topK, gen.Id, Stopwatch.GetElapsedTime(t0).TotalMilliseconds, results, stages, ranked.RequestId)
            { Window = candidates.Count, Offset = skip, Facets = counted, SpelledAs = spelledAs, DidYouMean = spelledAs is null && skip == 0 ? gen.Suggester?.DidYouMean(text) : null });
    }

    // The hits whose product holds every word of the query (title, brand, category, attributes), or all of them when
    // none does: BM25 recalls any word, and the cheapest partial match (美白洗面奶 for 白酒) would lead a price order.
    private static IReadOnlyList<RankedHit> AboutTheWholeQuery(IReadOnlyList<RankedHit> hits, string query, ServiceGeneration gen)
    {
        var words = SearchRec.Text.TextHighlighter.WholeWordsOf(query);
        if (words.Length == 0) return hits;
        var kept = KeepHolding(hits, words, gen);
        return kept.Count > 0 ? kept : hits;
    }

    private static List<RankedHit> KeepHolding(IReadOnlyList<RankedHit> hits, string[] words, ServiceGeneration gen)
    {
        var kept = new List<RankedHit>(hits.Count);
        var text = new System.Text.StringBuilder();
        foreach (var hit in hits)
        {
            if (gen.Catalog.Get(hit.ProductId) is not { } p) continue;
            text.Clear().Append(p.Title).Append(' ').Append(p.Brand).Append(' ').AppendJoin(' ', p.Category);
            foreach (var values in p.Attributes.Values) text.Append(' ').AppendJoin(' ', values);
            if (SearchRec.Text.TextHighlighter.HoldsEvery(text.ToString(), words)) kept.Add(hit);
        }
        return kept;
    }

    // The hits by price or popularity; products without one last; ties, and those, in the ranker's order.
    private static RankedHit[] Sorted(IReadOnlyList<RankedHit> hits, SearchSort order, ServiceGeneration gen)
    {
        var keys = new double[hits.Count];
        var index = new int[hits.Count];
        for (int i = 0; i < hits.Count; i++)
        {
            index[i] = i;
            double key = order switch
            {
                SearchSort.Popular => gen.Popularity?.Invoke(hits[i].ProductId) is { } p && !float.IsNaN(p) ? -p : double.NaN,
                _ => gen.Catalog.Get(hits[i].ProductId)?.Price is { } price ? (order == SearchSort.PriceDescending ? -price : price) : double.NaN,
            };
            keys[i] = key;
        }
        Array.Sort(index, (a, b) =>
        {
            bool na = double.IsNaN(keys[a]), nb = double.IsNaN(keys[b]);
            if (na != nb) return na ? 1 : -1;
            int c = na ? 0 : keys[a].CompareTo(keys[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        var sorted = new RankedHit[hits.Count];
        for (int i = 0; i < index.Length; i++) sorted[i] = hits[index[i]];
        return sorted;
    }

    private static async Task<IResult> ItemAsync(string id, HttpContext ctx, ServiceState state, ServiceCache cache)
    {
        QueryParams.OnlyKnown(ctx.Request);
        id = QueryParams.ItemId(ctx, id);
        using var lease = state.Rent();
        var view = await cache.ItemAsync(lease.Generation, id, ctx.RequestAborted).ConfigureAwait(false);
        return view is null ? UnknownItem(id) : Results.Json(new ProductResult(view.Id, view.Title, view.Brand, view.Price, view.Category));
    }

    private static async Task<IResult> SimilarAsync(string id, HttpContext ctx, ServiceState state, ServiceCache cache, ServerOptions o,
        [FromQuery] string? user, [FromQuery] string? k)
    {
        long t0 = Stopwatch.GetTimestamp();
        QueryParams.OnlyKnown(ctx.Request, "user", "k");
        id = QueryParams.ItemId(ctx, id);
        long? userId = QueryParams.User(user);
        int topK = QueryParams.K(k, o);
        using var lease = state.Rent();
        var gen = lease.Generation;
        if (await cache.ItemAsync(gen, id, ctx.RequestAborted).ConfigureAwait(false) is null) return UnknownItem(id);
        var items = await cache.SimilarAsync(gen, id, userId, WithSpares(topK), ctx.RequestAborted).ConfigureAwait(false);
        var results = await EnrichAsync(gen, cache, items, topK, ctx.RequestAborted).ConfigureAwait(false);
        return Results.Json(new ItemsResponse(id, userId, topK, gen.Id, Stopwatch.GetElapsedTime(t0).TotalMilliseconds, results));
    }

    private static async Task<IResult> RecommendAsync(string id, HttpContext ctx, ServiceState state, ServiceCache cache, ServerMetrics metrics,
        ServerOptions o, [FromQuery] string? k)
    {
        long t0 = Stopwatch.GetTimestamp();
        QueryParams.OnlyKnown(ctx.Request, "k");
        long userId = QueryParams.User(id, "id") ?? throw new BadParameterException("id", "id must be a user id");
        int topK = QueryParams.K(k, o);
        using var lease = state.Rent();
        var gen = lease.Generation;
        // Personal by nature: computed per request, never cached.
        long t1 = Stopwatch.GetTimestamp();
        var items = gen.Recommendations.Recommend(userId, WithSpares(topK));
        metrics.Stage("recommend", Stopwatch.GetElapsedTime(t1).TotalSeconds);
        var results = await EnrichAsync(gen, cache, items, topK, ctx.RequestAborted).ConfigureAwait(false);
        return Results.Json(new ItemsResponse(null, userId, topK, gen.Id, Stopwatch.GetElapsedTime(t0).TotalMilliseconds, results));
    }

    /// <summary>
    /// How many items to ask the collaborative sources for when <paramref name="k"/> are wanted. Their models and the
    /// event store still hold products removed from the catalog (<c>POST /admin/products</c>), which are dropped
    /// here, so a few spares keep the list at k.
    /// </summary>
    internal static int WithSpares(int k) => k + Math.Max(5, k / 2);

    // The first k items the served catalog holds, with their display fields.
    private static async Task<List<ItemResult>> EnrichAsync(ServiceGeneration gen, ServiceCache cache, IReadOnlyList<ScoredItem> items, int k, CancellationToken ct)
    {
        var results = new List<ItemResult>(Math.Min(k, items.Count));
        foreach (var it in items)
        {
            if (results.Count == k) break;
            var view = await cache.ItemAsync(gen, it.ProductId, ct).ConfigureAwait(false);
            if (view is null) continue;
            results.Add(new ItemResult(view.Id, view.Title, view.Brand, view.Price, view.Category, it.Score, it.Source));
        }
        return results;
    }

    private static async Task<IResult> EventsAsync(HttpContext ctx, ServiceState state, ServiceCache cache, ServerMetrics metrics, ServerOptions o, IEventLog log)
    {
        if (RequireKey(ctx, o, allowEventsKey: true) is { } denied) return denied;
        QueryParams.OnlyKnown(ctx.Request);
        // Another Content-Type never gets here: routing refuses it by the endpoint's Accepts (see NotJson); none at all is read as JSON.
        if (ctx.Request.ContentLength > o.MaxBodyBytes) return TooLarge(o);

        var (doc, bad) = await JsonBody.ReadAsync(ctx).ConfigureAwait(false);
        if (doc is null) return bad!;
        using var lease = state.Rent();
        EventParser.Result parsed;
        using (doc) parsed = EventParser.Parse(doc, lease.Generation.Catalog, o.MaxEventsPerRequest, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        if (parsed.Errors.Count > 0)
        {
            var msg = parsed.Errors.Count == 1 ? parsed.Errors[0] + "; nothing was stored" : $"{parsed.Errors.Count} problems in the request; nothing was stored";
            return Results.Json(new ApiError(msg, "body", parsed.Errors), statusCode: 400);
        }

        long t0 = Stopwatch.GetTimestamp();
        var appended = log.Append(parsed.Events);   // durable before we acknowledge
        metrics.Stage("store", Stopwatch.GetElapsedTime(t0).TotalSeconds);
        // Only what the store took: a retried event it folded was applied when first stored, and positions count stored rows.
        state.Observe(appended.Stored ?? parsed.Events, appended.Count);
        await cache.InvalidateAsync(parsed.Events, CancellationToken.None).ConfigureAwait(false);
        metrics.EventsAccepted(parsed.Events.Count);
        return Results.Json(new EventsResponse(parsed.Events.Count, parsed.Events.Count - appended.Inserted, appended.Count));
    }

    private static async Task<IResult> ReloadAsync(HttpContext ctx, Reloader reloader, ServerOptions o, [FromQuery] string? retrain)
    {
        if (RequireKey(ctx, o, allowEventsKey: false) is { } denied) return denied;
        QueryParams.OnlyKnown(ctx.Request, "retrain");
        bool doRetrain = QueryParams.Flag(retrain, "retrain");
        Reloader.Outcome outcome;
        try
        {
            outcome = await reloader.ReloadAsync(doRetrain, ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (Reloader.IsBadFiles(e))
        {
            // The files on disk are wrong, not the service: say what, as serve says it at start.
            return Results.Json(new ApiError($"reload failed, still serving generation {reloader.Current}: {e.Message}"), statusCode: 500);
        }
        if (!outcome.Started) return Results.Json(new ApiError("a reload is already running; try again when it has finished"), statusCode: 409);
        return Results.Json(new ReloadResponse(outcome.Generation, outcome.Previous, Math.Round(outcome.Ms, 1), doRetrain));
    }

    private static async Task<IResult> ProductsAsync(HttpContext ctx, Reloader reloader, IGenerationLoader loader, ServerOptions o)
    {
        if (RequireKey(ctx, o, allowEventsKey: false) is { } denied) return denied;
        QueryParams.OnlyKnown(ctx.Request);
        if (ctx.Request.ContentLength > o.MaxBodyBytes) return TooLarge(o);
        var (doc, bad) = await JsonBody.ReadAsync(ctx).ConfigureAwait(false);
        if (doc is null) return bad!;
        ProductChangeParser.Result parsed;
        using (doc) parsed = ProductChangeParser.Parse(doc, o.MaxProductsPerRequest);
        if (parsed.Update is not { } update)
        {
            var msg = parsed.Errors.Count == 1 ? parsed.Errors[0] + "; nothing was changed" : $"{parsed.Errors.Count} problems in the request; nothing was changed";
            return Results.Json(new ApiError(msg, "body", parsed.Errors), statusCode: 400);
        }
        Reloader.Outcome outcome;
        try
        {
            outcome = await reloader.UpdateCatalogAsync((ICatalogUpdater)loader, update, ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            return Results.Json(new ApiError(e.Message + "; nothing was changed", "body"), statusCode: 400);
        }
        catch (IndexBusyException e)
        {
            return Results.Json(new ApiError(e.Message + "; nothing was changed"), statusCode: 409);
        }
        catch (Exception e) when (Reloader.IsBadFiles(e))
        {
            return Results.Json(new ApiError($"reload failed, still serving generation {reloader.Current}: {e.Message}"), statusCode: 500);
        }
        if (!outcome.Started) return Results.Json(new ApiError("a reload is already running; nothing was changed; try again when it has finished"), statusCode: 409);
        var c = outcome.Change!;
        return Results.Json(new ProductsResponse(c.Added, c.Replaced, c.Deleted, c.NotFound, c.Count, outcome.Generation, outcome.Previous, Math.Round(outcome.Ms, 1)));
    }

    /// <summary>
    /// The answer to a body of a type an endpoint does not accept. Routing refuses it by the endpoint's
    /// <c>Accepts</c> before the handler runs, with an empty 415 that the host's error middleware fills with this.
    /// </summary>
    internal static ApiError NotJson(string? contentType) =>
        new($"send the body as JSON with the header Content-Type: application/json (got '{QueryParams.Clip(contentType?.Split(';')[0].Trim() ?? "")}'; curl -d sends a form type, add -H 'Content-Type: application/json')", "Content-Type");

    internal static IResult TooLarge(ServerOptions o) =>
        Results.Json(new ApiError($"the request body is larger than {o.MaxBodyBytes} bytes; send smaller batches", "body"), statusCode: 413);

    private static IResult UnknownItem(string id) =>
        Results.Json(new ApiError($"unknown item id '{QueryParams.Clip(id)}'", "id"), statusCode: 404);

    private static IResult? RequireKey(HttpContext ctx, ServerOptions o, bool allowEventsKey)
    {
        string? given = ctx.Request.Headers["X-Api-Key"];
        if (string.IsNullOrEmpty(given))
            return Results.Json(new ApiError("this endpoint needs an API key in the X-Api-Key header", "X-Api-Key"), statusCode: 401);
        if (Same(given, o.ApiKey) || (allowEventsKey && o.EventsKey is not null && Same(given, o.EventsKey))) return null;
        return Results.Json(new ApiError("the API key in X-Api-Key is not valid for this endpoint", "X-Api-Key"), statusCode: 403);
    }

    private static bool Same(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
