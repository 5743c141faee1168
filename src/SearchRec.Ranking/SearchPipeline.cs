using System.Buffers;
using System.Diagnostics;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Index;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Logging;
using SearchRec.Ranking.Models;
using SearchRec.Text;

namespace SearchRec.Ranking;

/// <summary>Options of the <see cref="SearchPipeline"/>. Validated when the pipeline is built.</summary>
public sealed class SearchPipelineOptions
{
    /// <summary>How many recall candidates are re-ranked (the rescore window). Default 200.</summary>
    public int RecallWindow { get; set; } = 200;

    /// <summary>How many results a request returns unless it asks otherwise. Default 10.</summary>
    public int TopK { get; set; } = 10;

    /// <summary>Which fields recall scores. Default all.</summary>
    public RecallFields Fields { get; set; } = RecallFields.All;

    /// <summary>
    /// How many of the best-ranked candidates a feature-log record holds (a record costs about 0.7 KB per candidate).
    /// Default 0: the whole window.
    /// </summary>
    public int FeatureLogDepth { get; set; }

    /// <summary>
    /// The fingerprint of the deep model the deep query–item scores come from (<see cref="Features.ModelLocations.DeepFingerprint"/>),
    /// written with each feature-log record; null when the features hold none.
    /// </summary>
    public string? DeepFingerprint { get; set; }

    /// <summary>Throws naming the first bad field.</summary>
    public SearchPipelineOptions Validate()
    {
        if (FeatureLogDepth is < 0 or > 10_000) throw new ArgumentOutOfRangeException(nameof(FeatureLogDepth), FeatureLogDepth, "SearchPipelineOptions.FeatureLogDepth must be in [0, 10000] (0: the whole window).");
        if (RecallWindow is < 1 or > 10_000) throw new ArgumentOutOfRangeException(nameof(RecallWindow), RecallWindow, "SearchPipelineOptions.RecallWindow must be in [1, 10000].");
        if (TopK is < 1 or > 1_000) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "SearchPipelineOptions.TopK must be in [1, 1000].");
        return this;
    }
}

/// <summary>A search request.</summary>
/// <param name="Query">The user's query text.</param>
public sealed record SearchRequest(string Query)
{
    /// <summary>The user, when known; personal features are unknown (not zero) otherwise.</summary>
    public long? UserId { get; init; }

    /// <summary>Results wanted; the pipeline's default when null.</summary>
    public int? TopK { get; init; }

    /// <summary>Attach each result's feature values and contributions.</summary>
    public bool Explain { get; init; }

    /// <summary>
    /// False to leave this search out of the feature log: a view shown in another order than the ranking's (sorted by
    /// price), whose clicks do not judge the ranking. True by default.
    /// </summary>
    public bool LogFeatures { get; init; } = true;

    /// <summary>
    /// Hold the feature-log record back for the caller to write once the page shown is known
    /// (<see cref="SearchResponse.FeatureLog"/>), so that it holds every item of the page: an interleaved page is
    /// drafted from two rankings after both ran, and a host may reorder the ranking (fused with the user's blend).
    /// False by default: the record is written during the search, without its page.
    /// </summary>
    public bool HoldFeatureLog { get; init; }

    /// <summary>The request id for feature logging and event joins; a new one is made when null.</summary>
    public string? RequestId { get; init; }

    /// <summary>Keep only this category (any level).</summary>
    public string? Category { get; init; }

    /// <summary>Keep only this brand.</summary>
    public string? Brand { get; init; }

    /// <summary>Keep only products priced at least this.</summary>
    public double? PriceMin { get; init; }

    /// <summary>Keep only products priced at most this.</summary>
    public double? PriceMax { get; init; }
}

/// <summary>A feature's value for one result and its share of the score.</summary>
/// <param name="Feature">The feature name.</param>
/// <param name="Value">Its value (NaN when unknown).</param>
/// <param name="Contribution">What it added to the score.</param>
public readonly record struct FeatureContribution(string Feature, float Value, float Contribution);

/// <summary>One search result.</summary>
/// <param name="Rank">0-based final rank.</param>
/// <param name="Product">The product.</param>
/// <param name="Score">The ranker's score.</param>
/// <param name="Recall">How recall found it (recall rank, BM25).</param>
/// <param name="Explanation">Feature values and contributions, largest first, when asked for; else null.</param>
/// <param name="Unexplained">The part of the score no single feature explains (bias), when explained.</param>
public sealed record SearchHit(int Rank, Product Product, float Score, RecallCandidate Recall, IReadOnlyList<FeatureContribution>? Explanation, float Unexplained);

/// <summary>Milliseconds spent in each stage of one request.</summary>
/// <param name="RecallMs">Lucene recall of the window (ids and BM25 scores).</param>
/// <param name="FeaturesMs">Feature extraction.</param>
/// <param name="ScoreMs">The ranker.</param>
/// <param name="TopKMs">Selecting and building the top k (and explanations).</param>
public readonly record struct StageTimings(double RecallMs, double FeaturesMs, double ScoreMs, double TopKMs)
{
    /// <summary>Loading the stored products of the window (part of recall as callers see it).</summary>
    public double FetchMs { get; init; }

    /// <summary>The sum of the stages.</summary>
    public double TotalMs => RecallMs + FetchMs + FeaturesMs + ScoreMs + TopKMs;
}

/// <summary>The answer to a <see cref="SearchRequest"/>.</summary>
/// <param name="RequestId">The request id (given or made).</param>
/// <param name="Hits">The top results, best first; empty when nothing matched.</param>
/// <param name="Recalled">How many candidates recall returned.</param>
/// <param name="Timings">Time per stage.</param>
/// <param name="Notice">A sentence for the user when something was off (no match, unknown user); else null.</param>
public sealed record SearchResponse(string RequestId, IReadOnlyList<SearchHit> Hits, int Recalled, StageTimings Timings, string? Notice)
{
    /// <summary>The feature-log record held back (<see cref="SearchRequest.HoldFeatureLog"/>), for the caller to write; else null.</summary>
    public PendingFeatureLog? FeatureLog { get; init; }
}

/// <summary>
/// Search as the service and the CLI run it: recall the window with BM25, compute features, score with the
/// ranker, return the top k. Checks at construction that the ranker reads exactly the extractor's features.
/// Thread-safe.
/// </summary>
public sealed class SearchPipeline
{
    private readonly IProductRecall _recall;
    private readonly ITokenizer _tokenizer;
    private readonly FeatureExtractor _features;
    private readonly IRankerModel _model;
    private readonly SearchPipelineOptions _options;
    private readonly IFeatureLogger? _logger;
    private readonly Func<long, bool>? _isKnownUser;
    private readonly Func<long, UserHistory?>? _history;
    private readonly FeatureExtractor? _logged;   // computed instead of _features when the log holds more columns
    private readonly int[]? _modelColumns;        // each model column's index among _logged's

    /// <summary>Builds the pipeline. Throws <see cref="RankerSchemaMismatchException"/> when the model's features differ from the extractor's.</summary>
    /// <param name="recall">The BM25 recall stage.</param>
    /// <param name="tokenizer">The query tokenizer (the index's).</param>
    /// <param name="features">The feature extractor.</param>
    /// <param name="model">The ranker.</param>
    /// <param name="options">Window and k; defaults when null.</param>
    /// <param name="logger">Feature logging, off when null.</param>
    /// <param name="isKnownUser">Tells whether a user id has any history (for the unknown-user notice); when null, a user is known when <paramref name="history"/> finds events.</param>
    /// <param name="history">The user's recent history, most recent first (personal features); read once per request. Null: no personal features.</param>
    /// <param name="logged">
    /// Features to compute and log instead of <paramref name="features"/>: a wider set holding every column the ranker
    /// reads (for instance the collaborative group beside a text-only ranker), so that a ranker trained later from the
    /// log can use columns today's ranker does not. The ranker scores its own columns of it. Needs <paramref name="logger"/>.
    /// </param>
    public SearchPipeline(IProductRecall recall, ITokenizer tokenizer, FeatureExtractor features, IRankerModel model,
        SearchPipelineOptions? options = null, IFeatureLogger? logger = null, Func<long, bool>? isKnownUser = null,
        Func<long, UserHistory?>? history = null, FeatureExtractor? logged = null)
    {
        _history = history;
        _recall = Guard.NotNull(recall);
        _tokenizer = Guard.NotNull(tokenizer);
        _features = Guard.NotNull(features);
        _model = Guard.NotNull(model);
        _options = (options ?? new SearchPipelineOptions()).Validate();
        _logger = logger;
        _isKnownUser = isKnownUser;
        var diff = features.Schema.DescribeDifference(model.Schema);
        if (diff is not null)
            throw new RankerSchemaMismatchException($"The {model.Kind} ranker reads feature schema {model.Schema}, but the pipeline computes {features.Schema}: {diff}. Retrain it with `searchrec train-ranker`.");
        if (logged is not null && !logged.Schema.Equals(features.Schema))
        {
            if (logger is null) throw new ArgumentException("Logged features were given without a feature logger.", nameof(logged));
            var columns = new int[model.Schema.Count];
            for (var i = 0; i < columns.Length; i++)
            {
                columns[i] = logged.Schema.IndexOf(model.Schema.Names[i]);
                if (columns[i] < 0)
                    throw new RankerSchemaMismatchException($"The logged features {logged.Schema} must hold every column of the {model.Kind} ranker's {model.Schema}, but lack {model.Schema.Names[i]}.");
            }
            _logged = logged;
            _modelColumns = columns;
        }
    }

    /// <summary>The ranker in use.</summary>
    public IRankerModel Model => _model;

    /// <summary>The feature columns the ranker reads.</summary>
    public FeatureSchema Schema => _features.Schema;

    /// <summary>The feature columns written to the feature log (the ranker's, or the wider logged set).</summary>
    public FeatureSchema LoggedSchema => (_logged ?? _features).Schema;

    /// <summary>Runs one search.</summary>
    public SearchResponse Search(SearchRequest request) => Run(request, null, out _);

    /// <summary>
    /// A pipeline that ranks with <paramref name="model"/> over this pipeline's recall, features, tokenizer and user
    /// histories, without feature logging: <see cref="SearchBoth"/> computes the window's features once for the two.
    /// Throws <see cref="RankerSchemaMismatchException"/> when the model reads other features than this pipeline's ranker.
    /// </summary>
    public SearchPipeline WithModel(IRankerModel model) =>
        new(_recall, _tokenizer, _features, model, _options, logger: null, _isKnownUser, _history);

    /// <summary>
    /// Runs <paramref name="request"/> for this pipeline's ranker and for <paramref name="second"/>'s, as
    /// <see cref="Search"/> on each would (the second not feature-logged). When <paramref name="second"/> comes from
    /// <see cref="WithModel"/> of this pipeline, the same computation, the window is recalled and its features computed
    /// once, and both rankers score them; otherwise each pipeline runs the whole search.
    /// </summary>
    public (SearchResponse First, SearchResponse Second) SearchBoth(SearchRequest request, SearchPipeline second)
    {
        Guard.NotNull(request);
        Guard.NotNull(second);
        if (!SharesFeaturesWith(second)) return (Search(request), second.Search(request with { LogFeatures = false, HoldFeatureLog = false }));
        var first = Run(request, second, out var other);
        return (first, other!);
    }

    /// <summary>True when <paramref name="other"/> recalls and computes features exactly as this pipeline does (one made by <see cref="WithModel"/>).</summary>
    public bool SharesFeaturesWith(SearchPipeline other) =>
        ReferenceEquals(Guard.NotNull(other)._features, _features) && ReferenceEquals(other._recall, _recall) && ReferenceEquals(other._tokenizer, _tokenizer)
        && ReferenceEquals(other._history, _history) && ReferenceEquals(other._isKnownUser, _isKnownUser)
        && other._options.RecallWindow == _options.RecallWindow && other._options.Fields == _options.Fields;

    // One search for this pipeline's ranker and, when `second` shares its features, for second's ranker over the same matrix.
    private SearchResponse Run(SearchRequest request, SearchPipeline? second, out SearchResponse? secondResponse)
    {
        Guard.NotNull(request);
        Guard.NotNull(request.Query, "request.Query");
        secondResponse = null;
        var k = request.TopK ?? _options.TopK;
        if (k is < 1 or > 1_000) throw new ArgumentOutOfRangeException(nameof(request), k, "request.TopK must be in [1, 1000].");
        var requestId = request.RequestId ?? Guid.NewGuid().ToString("N");
        var start = Stopwatch.GetTimestamp();

        var recalled = _recall.Recall(new RecallRequest(request.Query)
        {
            TopN = _options.RecallWindow, Fields = _options.Fields, Category = request.Category, Brand = request.Brand,
            PriceMin = request.PriceMin, PriceMax = request.PriceMax,
        });
        var n = recalled.Count;
        var afterLucene = Stopwatch.GetTimestamp();
        var candidates = ArrayPool<RankingCandidate>.Shared.Rent(Math.Max(1, n));
        var count = 0;
        for (var i = 0; i < n; i++)
        {
            var product = _recall.GetProduct(recalled[i].ProductId);
            if (product is not null) candidates[count++] = new RankingCandidate(recalled[i], product);
        }
        var afterRecall = Stopwatch.GetTimestamp();

        string? notice = null;
        UserHistory? history = null;
        if (request.UserId is { } user)
        {
            history = _history?.Invoke(user);
            var known = _isKnownUser?.Invoke(user) ?? (_history is null || history is { Count: > 0 });
            if (!known) notice = $"User {user} has no history; results are not personalised.";
        }
        if (count == 0)
        {
            ArrayPool<RankingCandidate>.Shared.Return(candidates, clearArray: true);
            var t = Stopwatch.GetElapsedTime(start, afterLucene).TotalMilliseconds;
            var empty = new SearchResponse(requestId, [], 0, new StageTimings(t, 0, 0, 0) { FetchMs = Stopwatch.GetElapsedTime(afterLucene, afterRecall).TotalMilliseconds },
                Join(notice, $"No product matched \"{request.Query}\"."));
            if (second is not null) secondResponse = empty;
            return empty;
        }

        var dim = _features.Schema.Count;
        var computed = _logged ?? _features;
        var computedDim = computed.Schema.Count;
        var all = ArrayPool<float>.Shared.Rent(count * computedDim);
        var matrix = _logged is null ? all : ArrayPool<float>.Shared.Rent(count * dim);
        var scores = ArrayPool<float>.Shared.Rent(count);
        var held = false;   // a pending feature-log record took `all` and `scores` over
        try
        {
            var query = RankingQuery.Create(request.Query, _tokenizer, request.UserId, history);
            var span = candidates.AsSpan(0, count);
            computed.Extract(query, span, all.AsSpan(0, count * computedDim));
            if (_modelColumns is { } columns)
                for (var r = 0; r < count; r++)
                    for (var c = 0; c < dim; c++) matrix[r * dim + c] = all[r * computedDim + columns[c]];
            var afterFeatures = Stopwatch.GetTimestamp();

            _model.Score(matrix.AsSpan(0, count * dim), count, scores.AsSpan(0, count));
            var afterScore = Stopwatch.GetTimestamp();
            var hits = Hits(matrix, count, span, scores, Math.Min(k, count), request.Explain);
            var end = Stopwatch.GetTimestamp();

            if (second is not null)
            {
                // The second ranker reads the same matrix: its model's schema is this pipeline's (WithModel checked it).
                var secondScores = ArrayPool<float>.Shared.Rent(count);
                try
                {
                    second._model.Score(matrix.AsSpan(0, count * dim), count, secondScores.AsSpan(0, count));
                    var afterSecondScore = Stopwatch.GetTimestamp();
                    var secondHits = second.Hits(matrix, count, span, secondScores, Math.Min(k, count), request.Explain);
                    secondResponse = new SearchResponse(requestId, secondHits, n,
                        new StageTimings(0, 0, Stopwatch.GetElapsedTime(end, afterSecondScore).TotalMilliseconds, Stopwatch.GetElapsedTime(afterSecondScore).TotalMilliseconds), notice);
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(secondScores);
                }
            }

            // Feature logging is I/O for training, not a ranking stage: it is left out of the timings.
            PendingFeatureLog? pending = null;
            if (_logger is not null && request.LogFeatures)
            {
                if (request.HoldFeatureLog)
                {
                    // The pending record takes the window's features and scores over, and returns them to the pool.
                    pending = new PendingFeatureLog(_logger, Record(requestId, request, computed.Schema, [], [], n), IdsOf(span), all, scores, count, _options.FeatureLogDepth);
                    held = true;
                }
                else LogFeatures(requestId, request, span, all, computed.Schema, scores, count, n);
            }
            var timings = new StageTimings(
                Stopwatch.GetElapsedTime(start, afterLucene).TotalMilliseconds,
                Stopwatch.GetElapsedTime(afterRecall, afterFeatures).TotalMilliseconds,
                Stopwatch.GetElapsedTime(afterFeatures, afterScore).TotalMilliseconds,
                Stopwatch.GetElapsedTime(afterScore, end).TotalMilliseconds) { FetchMs = Stopwatch.GetElapsedTime(afterLucene, afterRecall).TotalMilliseconds };
            return new SearchResponse(requestId, hits, n, timings, notice) { FeatureLog = pending };
        }
        finally
        {
            if (!ReferenceEquals(matrix, all)) ArrayPool<float>.Shared.Return(matrix);
            if (!held)
            {
                ArrayPool<float>.Shared.Return(all);
                ArrayPool<float>.Shared.Return(scores);
            }
            ArrayPool<RankingCandidate>.Shared.Return(candidates, clearArray: true);
        }
    }

    // The top hits by this pipeline's ranker's scores, explained when asked.
    private SearchHit[] Hits(float[] matrix, int count, ReadOnlySpan<RankingCandidate> span, float[] scores, int top, bool explain)
    {
        var dim = _features.Schema.Count;
        var order = TopK(scores.AsSpan(0, count), top);
        var hits = new SearchHit[top];
        float[]? contributions = explain ? new float[dim] : null;
        var derived = _model as IDerivedColumnsModel;
        var extra = derived?.DerivedNames.Count ?? 0;
        for (var i = 0; i < top; i++)
        {
            var row = order[i];
            IReadOnlyList<FeatureContribution>? explanation = null;
            var rest = 0f;
            if (contributions is not null)
            {
                var list = new FeatureContribution[dim + extra];
                if (derived is not null)
                {
                    // Columns the model derives itself (a stacked ranker's linear rank and score) are listed by name too.
                    var values = new float[extra];
                    var parts = new float[extra];
                    rest = derived.Explain(matrix.AsSpan(0, count * dim), count, row, contributions, values, parts);
                    for (var d = 0; d < extra; d++) list[dim + d] = new FeatureContribution(derived.DerivedNames[d], values[d], parts[d]);
                }
                else rest = _model.Explain(matrix.AsSpan(0, count * dim), count, row, contributions);
                for (var f = 0; f < dim; f++) list[f] = new FeatureContribution(_features.Schema.Names[f], matrix[row * dim + f], contributions[f]);
                Array.Sort(list, (a, b) => Math.Abs(b.Contribution).CompareTo(Math.Abs(a.Contribution)));
                explanation = list;
            }
            hits[i] = new SearchHit(i, span[row].Product, scores[row], span[row].Recall, explanation, rest);
        }
        return hits;
    }

    private void LogFeatures(string requestId, SearchRequest request, ReadOnlySpan<RankingCandidate> candidates, float[] matrix, FeatureSchema schema, float[] scores, int count, int window)
    {
        var dim = schema.Count;
        var logged = _options.FeatureLogDepth > 0 ? Math.Min(_options.FeatureLogDepth, count) : count;
        var order = TopK(scores.AsSpan(0, count), logged);
        var items = new string[logged];
        var rows = new float[logged * dim];
        for (var i = 0; i < logged; i++)
        {
            items[i] = candidates[order[i]].Recall.ProductId;
            matrix.AsSpan(order[i] * dim, dim).CopyTo(rows.AsSpan(i * dim, dim));
        }
        _logger!.Log(Record(requestId, request, schema, items, rows, window));
    }

    // window: the candidates recalled for re-ranking, as the service's answer counts its window.
    private FeatureLogRecord Record(string requestId, SearchRequest request, FeatureSchema schema, string[] items, float[] rows, int window) =>
        new(requestId, DateTimeOffset.UtcNow, request.Query, request.UserId, schema, items, rows)
        {
            DeepFingerprint = _options.DeepFingerprint, Window = window,
            Filters = FeatureLogFilters.Of(request.Category, request.Brand, request.PriceMin, request.PriceMax),
        };

    private static string[] IdsOf(ReadOnlySpan<RankingCandidate> candidates)
    {
        var ids = new string[candidates.Length];
        for (var i = 0; i < ids.Length; i++) ids[i] = candidates[i].Recall.ProductId;
        return ids;
    }

    /// <summary>Indexes of the <paramref name="k"/> best scores, best first; ties keep the lower index (recall order).</summary>
    internal static int[] TopK(ReadOnlySpan<float> scores, int k)
    {
        var top = new int[k];
        var filled = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var s = scores[i];
            if (filled == k && !(s > scores[top[k - 1]])) continue;
            var pos = filled < k ? filled++ : k - 1;
            while (pos > 0 && s > scores[top[pos - 1]])
            {
                top[pos] = top[pos - 1];
                pos--;
            }
            top[pos] = i;
        }
        return top;
    }

    private static string Join(string? a, string b) => a is null ? b : a + " " + b;
}
