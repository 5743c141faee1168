using System.Diagnostics.Metrics;

namespace SearchRec.Server.Internals;

/// <summary>The service's own instruments (exported at <c>/metrics</c> by OpenTelemetry) and plain counters tests can read.</summary>
internal sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "SearchRec.Server";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestSeconds;
    private readonly Histogram<double> _stageSeconds;
    private readonly Counter<long> _cache;
    private readonly Counter<long> _events;
    private long _cacheHits, _cacheMisses, _eventsStored;

    public ServerMetrics()
    {
        _meter = new Meter(MeterName, "1.0");
        _requests = _meter.CreateCounter<long>("searchrec.requests", "{request}", "HTTP requests by endpoint and status code.");
        _requestSeconds = _meter.CreateHistogram<double>("searchrec.request.duration", "s", "Request latency by endpoint.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets });
        _stageSeconds = _meter.CreateHistogram<double>("searchrec.stage.duration", "s", "Time in each stage of a request (recall, rank, enrich, facets, similar, store).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets });
        _cache = _meter.CreateCounter<long>("searchrec.cache.lookups", "{lookup}", "Cache look-ups by cache and result (hit or miss).");
        _events = _meter.CreateCounter<long>("searchrec.events.stored", "{event}", "Events stored durably and acknowledged.");
    }

    private static readonly double[] Buckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

    public long CacheHits => Interlocked.Read(ref _cacheHits);
    public long CacheMisses => Interlocked.Read(ref _cacheMisses);
    public long EventsStored => Interlocked.Read(ref _eventsStored);

    public void Request(string endpoint, int status, double seconds)
    {
        _requests.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("status", Boxed(status)));
        _requestSeconds.Record(seconds, new KeyValuePair<string, object?>("endpoint", endpoint));
    }

    // A status code as the tag's object, boxed once per code rather than once per request.
    private static readonly object[] StatusCodes = [.. Enumerable.Range(0, 600).Select(i => (object)i)];

    internal static object Boxed(int status) => (uint)status < (uint)StatusCodes.Length ? StatusCodes[status] : status;

    // "rank." + a ranker's stage name, made once per name: the names are the rankers' constants, a handful.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> RankStageNames = new(StringComparer.Ordinal);

    /// <summary>The name a ranker's stage is timed and reported under: <c>rank.</c> and its own name.</summary>
    internal static string RankStage(string name) =>
        RankStageNames.TryGetValue(name, out var full) ? full
        : RankStageNames.Count < 64 ? RankStageNames.GetOrAdd(name, static n => "rank." + n)
        : "rank." + name;

    public void Stage(string stage, double seconds) =>
        _stageSeconds.Record(seconds, new KeyValuePair<string, object?>("stage", stage));

    public void CacheLookup(string cache, bool hit)
    {
        Interlocked.Increment(ref hit ? ref _cacheHits : ref _cacheMisses);
        _cache.Add(1, new KeyValuePair<string, object?>("cache", cache), new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));
    }

    public void EventsAccepted(int n)
    {
        Interlocked.Add(ref _eventsStored, n);
        _events.Add(n);
    }

    public void Dispose() => _meter.Dispose();
}
