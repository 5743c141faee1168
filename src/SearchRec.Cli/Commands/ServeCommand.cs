using System.CommandLine;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SearchRec.Collab.Events;
using SearchRec.Server;
using SearchRec.Server.Adapters;

namespace SearchRec.Cli.Commands;

/// <summary>What <see cref="ServeCommand.RunAsync"/> serves: a shop's files and the service settings.</summary>
internal sealed record ServeSettings(string IndexPath, string CollabPath, string EventsPath, string? RankerPath, string? QueriesPath)
{
    public string? DeepPath { get; init; }
    public string? SuggestLogPath { get; init; }
    public string? FeedRankerPath { get; init; }
    public SearchRec.Deep.Scoring.ExecutionProvider ExecutionProvider { get; init; }
    public string Urls { get; init; } = "http://127.0.0.1:5080";
    public string? ApiKey { get; init; }
    public string? EventsKey { get; init; }
    public string? Redis { get; init; }
    public int? RetrainSeconds { get; init; }
    public int ProductCacheSize { get; init; } = new ShopLoaderOptions().ProductCacheSize;
    public int CacheMegabytes { get; init; } = (int)(new ServerOptions().CacheMemoryBytes >> 20);
    public bool CompactAfterReload { get; init; } = new ServerOptions().CompactAfterReload;
    public string? FeatureLogPath { get; init; }
    public int FeatureLogMegabytes { get; init; } = 64;
    public int FeatureLogDepth { get; init; } = new ShopLoaderOptions().FeatureLogDepth;
    public int RecallWindow { get; init; } = new ShopLoaderOptions().RecallWindow;
    public string LogFeatures { get; init; } = "ranker";
    public string? ChallengerPath { get; init; }
    public double InterleaveShare { get; init; } = 1;
    public string? InterleaveLogPath { get; init; }
    public LogLevel LogLevel { get; init; } = LogLevel.Information;
}

/// <summary><c>searchrec serve</c>: runs the HTTP service over an index and models the user already has.</summary>
public sealed class ServeCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var index = new Option<string>("--index") { Description = "Lucene index folder.", Required = true };
        var collab = new Option<string>("--collab") { Description = "Collaborative models folder (from train-cf); a retrain writes here. A new or empty folder gets models trained from --events at start.", Required = true };
        var events = new Option<string>("--events") { Description = "SQLite event store (created if missing); POST /events appends here.", Required = true };
        var ranker = new Option<string?>("--ranker") { Description = "Ranker folder (from train-ranker). Without it: BM25 fused with the collaborative blend." };
        var feedRanker = new Option<string?>("--feed-ranker") { Description = "Next-item ranker folder (from train-ranker --events … --cut …) that orders each user's recommendations. Without it: the collaborative blend." };
        var deep = new Option<string?>("--deep") { Description = "Deep models folder (from train-deep), needed when the ranker uses deep features." };
        var queries = new Option<string?>("--queries") { Description = "qid<TAB>query file offered as examples on the page." };
        var suggestLog = new Option<string?>("--suggest-log") { Description = "Query log the search bar completes to (GET /suggest), besides the catalog's categories and brands: one query per line or qid<TAB>query; repeats count; only queries whose every word the index holds. Default: the --queries file." };
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on, as ASP.NET does.", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var apiKey = new Option<string?>("--api-key") { Description = "Key for POST /events and /admin/* (X-Api-Key). Default: $SEARCHREC_API_KEY, else a random key printed at start." };
        var eventsKey = new Option<string?>("--events-key") { Description = "Events-only key handed to the web page. Default: a random key." };
        var redis = new Option<string?>("--redis") { Description = "Redis connection string for the second cache level (e.g. 127.0.0.1:6379)." };
        var retrain = new Option<int?>("--retrain-every") { Description = "Retrain the collaborative models from the event store every N seconds." };
        var window = new Option<int>("--window")
        {
            Description = "Candidates recalled per query and re-ranked (the rescore window). A ranker's model card says which window it was trained on.",
            DefaultValueFactory = _ => new ShopLoaderOptions().RecallWindow,
        };
        var productCache = new Option<int>("--product-cache")
        {
            Description = "Products held in memory; a catalog of at most this many is read in at start and at each reload, before it serves.",
            DefaultValueFactory = _ => new ShopLoaderOptions().ProductCacheSize,
        };
        var cacheMb = new Option<int>("--cache-mb")
        {
            Description = "Memory for cached answers (recall lists, item records, similar items), in MiB; the least recently used go first beyond it.",
            DefaultValueFactory = _ => (int)(new ServerOptions().CacheMemoryBytes >> 20),
        };
        var noCompact = new Option<bool>("--no-compact-after-reload")
        {
            Description = "Skip the blocking, compacting garbage collection that hands a retired generation's memory back after a reload (a pause of 0.1-1 s at 1M products); the process then keeps that memory committed.",
        };
        var featureLog = new Option<string?>("--feature-log")
        {
            Description = "Write every ranked search's candidate features here (JSON Lines with the response's requestId), for train-ranker --feature-log F --labels-from-events EVENTS.db.",
        };
        var featureLogMb = new Option<int>("--feature-log-mb") { Description = "Rotate the feature log past this size (keeping 5 old files).", DefaultValueFactory = _ => 64 };
        var featureLogDepth = new Option<int>("--feature-log-depth")
        {
            Description = "How many of each search's best-ranked candidates the feature log holds (then the items of the page shown that the ranker placed below them).",
            DefaultValueFactory = _ => new ShopLoaderOptions().FeatureLogDepth,
        };
        var logFeatures = new Option<string>("--log-features")
        {
            Description = "Which features the feature log holds: ranker (the columns the ranker reads) or all (also the collaborative group and item recency, so a ranker trained from the log can personalise even when this one reads text alone).",
            DefaultValueFactory = _ => "ranker",
        };
        logFeatures.AcceptOnlyFromAmong("ranker", "all");
        var challenger = new Option<string?>("--challenger")
        {
            Description = "A second ranker folder (from train-ranker) compared online with --ranker by team-draft interleaving: searches by a known user in relevance order show both rankers' picks, each hit marked with its team. Needs --ranker and --interleave-log.",
        };
        var interleaveShare = new Option<double>("--interleave-share")
        {
            Description = "The fraction (0 < F <= 1) of eligible searches interleaved with --challenger; a user's query is always in or always out.",
            DefaultValueFactory = _ => 1.0,
        };
        var interleaveLog = new Option<string?>("--interleave-log")
        {
            Description = "Write each interleaved page shown here (JSON Lines: request id, time, user, query, offset, items with their teams, the two rankers), for searchrec interleave-report.",
        };
        var logLevel = new Option<LogLevel>("--log-level")
        {
            Description = "Lowest level the service logs to the console: Information (reloads, retrains, warnings) by default; Debug adds a line per request.",
            DefaultValueFactory = _ => LogLevel.Information,
        };
        var provider = new Option<SearchRec.Deep.Scoring.ExecutionProvider>("--execution-provider")
        {
            Description = "Where ONNX Runtime runs the deep towers: Cpu or Cuda (Cuda needs a build with -p:OnnxRuntimeGpu=true; otherwise it falls back to CPU with one log line).",
            DefaultValueFactory = _ => SearchRec.Deep.Scoring.ExecutionProvider.Cpu,
        };
        var cmd = new Command("serve", "Run the HTTP service (search, similar items, recommendations, events, web page) over an existing index and models.");
        foreach (var o in new Option[] { index, collab, events, ranker, feedRanker, deep, provider, queries, suggestLog, urls, apiKey, eventsKey, redis, retrain, window, productCache, cacheMb, noCompact, featureLog, featureLogMb, featureLogDepth, logFeatures, challenger, interleaveShare, interleaveLog, logLevel }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var settings = new ServeSettings(pr.GetValue(index)!, pr.GetValue(collab)!, pr.GetValue(events)!, pr.GetValue(ranker), pr.GetValue(queries))
            {
                DeepPath = pr.GetValue(deep),
                SuggestLogPath = pr.GetValue(suggestLog),
                FeedRankerPath = pr.GetValue(feedRanker),
                ExecutionProvider = pr.GetValue(provider),
                Urls = pr.GetValue(urls)!,
                ApiKey = pr.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("SEARCHREC_API_KEY"),
                EventsKey = pr.GetValue(eventsKey),
                Redis = pr.GetValue(redis),
                RetrainSeconds = pr.GetValue(retrain),
                ProductCacheSize = pr.GetValue(productCache),
                CacheMegabytes = pr.GetValue(cacheMb),
                CompactAfterReload = !pr.GetValue(noCompact),
                RecallWindow = pr.GetValue(window),
                FeatureLogPath = pr.GetValue(featureLog),
                FeatureLogMegabytes = pr.GetValue(featureLogMb),
                FeatureLogDepth = pr.GetValue(featureLogDepth),
                LogFeatures = pr.GetValue(logFeatures)!,
                ChallengerPath = pr.GetValue(challenger),
                InterleaveShare = pr.GetValue(interleaveShare),
                InterleaveLogPath = pr.GetValue(interleaveLog),
                LogLevel = pr.GetValue(logLevel),
            };
            return await RunAsync(settings, ct);
        });
        return cmd;
    }

    private static string? OptionOf(string loaderProperty) => loaderProperty switch
    {
        nameof(ShopLoaderOptions.IndexPath) => "--index",
        nameof(ShopLoaderOptions.CollabModelsPath) => "--collab",
        nameof(ShopLoaderOptions.RankerPath) => "--ranker",
        nameof(ShopLoaderOptions.FeedRankerPath) => "--feed-ranker",
        nameof(ShopLoaderOptions.DeepModelsPath) => "--deep",
        nameof(ShopLoaderOptions.QueriesPath) => "--queries",
        nameof(ShopLoaderOptions.SuggestLogPath) => "--suggest-log",
        nameof(ShopLoaderOptions.RecallWindow) => "--window",
        nameof(ShopLoaderOptions.ChallengerPath) => "--challenger",
        nameof(ShopLoaderOptions.InterleaveShare) => "--interleave-share",
        nameof(ShopLoaderOptions.InterleavingLog) => "--interleave-log",
        _ => null,
    };

    /// <summary>Starts the service, prints its address and keys, and runs until Ctrl+C. Used by <c>serve</c> and <c>demo</c>.</summary>
    internal static async Task<int> RunAsync(ServeSettings s, CancellationToken ct)
    {
        string apiKey = s.ApiKey ?? RandomKey();
        string eventsKey = s.EventsKey ?? RandomKey();
        SqliteEventStore? store = null;
        SearchRec.Ranking.Logging.JsonlFeatureLogger? featureLogger = null;
        SearchRec.Ranking.Interleaving.JsonlInterleavingLog? interleavingLog = null;
        try
        {
            // Named as typed; the options objects check the same again under their own names.
            if (s.RetrainSeconds is < 1) throw new ArgumentException($"--retrain-every must be at least 1 second (was {s.RetrainSeconds}).");
            if (s.FeatureLogDepth is < 1 or > 10_000) throw new ArgumentException($"--feature-log-depth must be between 1 and 10,000 (was {s.FeatureLogDepth}).");
            if (s.RecallWindow is < 1 or > 10_000) throw new ArgumentException($"--window must be between 1 and 10,000 (was {s.RecallWindow}).");
            if (s.ProductCacheSize is < 1 or > 20_000_000) throw new ArgumentException($"--product-cache must be between 1 and 20,000,000 (was {s.ProductCacheSize}).");
            if (s.CacheMegabytes is < 1 or > 65_536) throw new ArgumentException($"--cache-mb must be between 1 and 65,536 (was {s.CacheMegabytes}).");
            if (s.ApiKey is { Length: < 16 })
                throw new ArgumentException($"--api-key (or $SEARCHREC_API_KEY) must be at least 16 characters long (was {s.ApiKey.Length}); leave it out and serve makes one.");
            if (s.EventsKey is { Length: < 16 })
                throw new ArgumentException($"--events-key must be at least 16 characters long (was {s.EventsKey.Length}); leave it out and serve makes one.");
            foreach (var address in s.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (!Uri.TryCreate(address, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps))
                    throw new ArgumentException($"--urls: '{address}' is not an http(s) address such as http://127.0.0.1:5080.");
            if (SearchRecServer.AddressInUse(s.Urls) is { } busy) throw new IOException(BusyMessage(busy));
            if (s.FeatureLogPath is not null)
            {
                if (s.RankerPath is null) throw new ArgumentException("--feature-log logs the ranker's features: give --ranker as well.");
                OutputFiles.Check(s.FeatureLogPath, "--feature-log");
                if (s.FeatureLogMegabytes is < 1 or > 100_000) throw new ArgumentException($"--feature-log-mb must be in [1, 100000] (is {s.FeatureLogMegabytes}).");
            }
            else if (s.LogFeatures == "all") throw new ArgumentException("--log-features all says what the feature log holds: give --feature-log as well.");
            if (s.ChallengerPath is not null)
            {
                if (s.RankerPath is null) throw new ArgumentException("--challenger is compared with the ranker in service: give --ranker as well.");
                // Interleaving costs a second ranking per search; without the log nobody can read what it found.
                if (s.InterleaveLogPath is null) throw new ArgumentException("--challenger needs --interleave-log FILE: the interleaved pages shown are what interleave-report reads the comparison from.");
                OutputFiles.Check(s.InterleaveLogPath, "--interleave-log");
            }
            else if (s.InterleaveLogPath is not null) throw new ArgumentException("--interleave-log logs interleaved pages: give --challenger as well.");
            else if (s.InterleaveShare != 1) throw new ArgumentException("--interleave-share is the share of searches interleaved with --challenger: give --challenger as well.");
            var loaderOptions = new ShopLoaderOptions
            {
                IndexPath = s.IndexPath, CollabModelsPath = s.CollabPath, RankerPath = s.RankerPath, DeepModelsPath = s.DeepPath, FeedRankerPath = s.FeedRankerPath,
                DeepRuntime = new SearchRec.Deep.Scoring.DeepScorerOptions { ExecutionProvider = s.ExecutionProvider },
                QueriesPath = s.QueriesPath, SuggestLogPath = s.SuggestLogPath, ProductCacheSize = s.ProductCacheSize, FeatureLogDepth = s.FeatureLogDepth, RecallWindow = s.RecallWindow,
                ChallengerPath = s.ChallengerPath, InterleaveShare = s.InterleaveShare,
                // Checked with a stand-in: the file is opened only once every setting has passed, as the feature log is.
                InterleavingLog = s.ChallengerPath is null ? null : NoLog.Instance,
            };
            try { loaderOptions.Validate(); }
            catch (ArgumentException e) when (e.ParamName is { } name && OptionOf(name) is not null)
            {
                // Named as typed: the options object names its own properties.
                throw new ArgumentException(CliErrors.Message(e, nameof(ShopLoaderOptions), OptionOf), e);
            }
            if (s.FeatureLogPath is not null)
            {
                loaderOptions.FeatureLogger = featureLogger = new SearchRec.Ranking.Logging.JsonlFeatureLogger(s.FeatureLogPath, (long)s.FeatureLogMegabytes << 20);
                loaderOptions.LogAllFeatures = s.LogFeatures == "all";
            }
            if (s.InterleaveLogPath is not null && s.ChallengerPath is not null)
                loaderOptions.InterleavingLog = interleavingLog = new SearchRec.Ranking.Interleaving.JsonlInterleavingLog(s.InterleaveLogPath);
            store = new SqliteEventStore(s.EventsPath);
            var log = new EventStoreLog(store);
            var options = new ServerOptions
            {
                Urls = s.Urls, ApiKey = apiKey, EventsKey = eventsKey, RedisConnectionString = s.Redis, CacheMemoryBytes = (long)s.CacheMegabytes << 20,
                CompactAfterReload = s.CompactAfterReload,
                RetrainInterval = s.RetrainSeconds is { } sec ? TimeSpan.FromSeconds(sec) : null,
            };
            Console.Error.WriteLine($"serve: loading index {s.IndexPath} and models {s.CollabPath} ({log.Count:N0} events in {s.EventsPath})");
            if (s.RankerPath is not null && RankerNotes.Window(s.RankerPath, s.RecallWindow) is { } note) Console.Error.WriteLine($"serve: {note}");
            var app = await SearchRecServer.BuildAsync(options, new ShopLoader(loaderOptions, log), log, s.LogLevel, ct,
                new SyncProgress<string>(m => Console.Error.WriteLine($"serve: {m}")));
            await app.StartAsync(ct);
            var url = SearchRecServer.Addresses(app)[0];
            Console.WriteLine($"SearchRec is serving at {url}/  (OpenAPI {url}/openapi/v1.json, metrics {url}/metrics)");
            Console.WriteLine($"  admin key (X-Api-Key for /events, /admin/*): {(s.ApiKey is null ? apiKey : "(as given)")}");
            if (featureLogger is not null) Console.WriteLine($"  feature log: {s.FeatureLogPath} (train from it: searchrec train-ranker --feature-log {s.FeatureLogPath} --labels-from-events {s.EventsPath} --models DIR)");
            if (interleavingLog is not null) Console.WriteLine($"  interleaving log: {s.InterleaveLogPath} (read it: searchrec interleave-report --log {s.InterleaveLogPath} --events {s.EventsPath})");
            Console.WriteLine("  Ctrl+C stops it.");
            // Returns on Ctrl+C or SIGTERM (the host's own handler) or when the command is cancelled.
            try { await app.WaitForShutdownAsync(ct); } catch (OperationCanceledException) { }
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            return 0;
        }
        catch (Exception ex) when (ex is ArgumentException or Microsoft.Extensions.Options.OptionsValidationException or IOException or InvalidDataException)
        {
            Console.Error.WriteLine($"serve: {CliErrors.Message(ex)}");
            return 2;
        }
        finally
        {
            store?.Dispose();
            if (featureLogger is { Failures: > 0 } failing) Console.Error.WriteLine($"serve: {failing.Failures:N0} feature-log records could not be written to {s.FeatureLogPath}");
            featureLogger?.Dispose();
            if (interleavingLog is { Failures: > 0 } failed) Console.Error.WriteLine($"serve: {failed.Failures:N0} interleaved pages could not be logged to {s.InterleaveLogPath}");
            interleavingLog?.Dispose();
        }
    }

    private sealed class NoLog : SearchRec.Ranking.Interleaving.IInterleavingLog
    {
        public static readonly NoLog Instance = new();
        public void Log(SearchRec.Ranking.Interleaving.InterleavingImpression impression) { }
    }

    /// <summary>The refusal for an address another program listens on.</summary>
    internal static string BusyMessage(string address) =>
        $"--urls: {address} is already in use by another program (a SearchRec service started before?); stop it or give another port, such as --urls http://127.0.0.1:5081.";

    private static string RandomKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
