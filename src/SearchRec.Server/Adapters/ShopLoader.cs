using System.Diagnostics;
using System.Globalization;
using SearchRec.Collab;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Deep.Scoring;
using SearchRec.Index;
using SearchRec.Ranking;
using SearchRec.Ranking.Interleaving;
using SearchRec.Ranking.NextItem;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Logging;
using SearchRec.Ranking.Models;
using SearchRec.Text;

namespace SearchRec.Server.Adapters;

/// <summary>Where <see cref="ShopLoader"/> finds a shop's index and models. Checked by <see cref="Validate"/>.</summary>
public sealed class ShopLoaderOptions
{
    /// <summary>The Lucene index folder (from <c>searchrec index</c> or the demo). Required.</summary>
    public string IndexPath { get; set; } = "";

    /// <summary>
    /// The collaborative models folder (from <c>searchrec train-cf</c>). Required; a retrain writes here. A folder that
    /// does not exist yet, or is empty, gets models trained from the event store at the first load (with no events yet: empty
    /// models, which a retrain fills later), so a catalog with no behaviour yet can be served.
    /// </summary>
    public string CollabModelsPath { get; set; } = "";

    /// <summary>The ranker folder (from <c>searchrec train-ranker</c>). Default null: BM25 fused with the collaborative blend.</summary>
    public string? RankerPath { get; set; }

    /// <summary>
    /// A second ranker folder (from <c>searchrec train-ranker</c>) compared online with <see cref="RankerPath"/> by
    /// team-draft interleaving: on a relevance-ordered search by a known user, both rank the same candidates and the
    /// answer interleaves their lists, each hit marked with its team. Its deep towers and files are found beside it,
    /// as the ranker's are. Needs <see cref="RankerPath"/> and <see cref="InterleavingLog"/>. Default null: no comparison.
    /// </summary>
    public string? ChallengerPath { get; set; }

    /// <summary>
    /// The fraction of eligible searches (relevance order, known user) interleaved when <see cref="ChallengerPath"/> is
    /// set, in (0, 1]: chosen from the user and query alone, so a user's query is always in or always out. Default 1.
    /// </summary>
    public double InterleaveShare { get; set; } = 1;

    /// <summary>
    /// Where the interleaved pages shown go, for <c>searchrec interleave-report</c>. Required with
    /// <see cref="ChallengerPath"/> (a comparison nobody can read is load for nothing); shared by every generation and
    /// owned by the caller, who disposes it after the service stops. Default null.
    /// </summary>
    public IInterleavingLog? InterleavingLog { get; set; }

    /// <summary>
    /// A next-item ranker folder (from <c>searchrec train-ranker --events … --cut …</c>) that orders the users'
    /// recommendations: candidates from the collaborative sources for the user's live history, scored by the ranker.
    /// Default null: the collaborative blend. Users with no history get popular items either way.
    /// </summary>
    public string? FeedRankerPath { get; set; }

    /// <summary>Most recent events of a user that the feed ranker reads. Default 1,000.</summary>
    public int FeedHistory { get; set; } = 1_000;

    /// <summary>The deep models folder (from <c>searchrec train-deep</c>), needed when the ranker uses deep features. Default null.</summary>
    public string? DeepModelsPath { get; set; }

    /// <summary>How ONNX Runtime runs the deep towers (CPU by default; CUDA falls back to CPU with one log line when the GPU build is absent).</summary>
    public DeepScorerOptions DeepRuntime { get; set; } = new();

    /// <summary>
    /// A <c>qid&lt;TAB&gt;query</c> file whose queries the page offers as examples. Default null: the catalog's most
    /// common leaf categories instead (none for a catalog without categories).
    /// </summary>
    public string? QueriesPath { get; set; }

    /// <summary>
    /// A query log whose queries the search bar completes to (<c>GET /suggest</c>), besides the catalog's categories
    /// and brands: one query per line, or <c>qid&lt;TAB&gt;query</c> (further columns ignored); repeats count. Default
    /// null: the queries of <see cref="QueriesPath"/>, if any.
    /// </summary>
    public string? SuggestLogPath { get; set; }

    /// <summary>Candidates recalled per query (the re-ranker's window). Default 200.</summary>
    public int RecallWindow { get; set; } = 200;

    /// <summary>
    /// Products held in memory (the ranker reads every candidate; an index read costs a few microseconds from product
    /// doc values and about 35 from an older index's stored fields, more when threads read at once).
    /// A catalog of at most this many products is read in at load, before the generation serves; a larger one fills
    /// the memory with the products searches touch. Default 300,000 (about 0.7 KB each).
    /// </summary>
    public int ProductCacheSize { get; set; } = 300_000;

    /// <summary>
    /// The most time a loaded generation spends on sample requests before it serves (2,000 rounds at start, 200 at a
    /// reload), so that it serves optimised code from its first request. Default 5 s; zero turns it off.
    /// </summary>
    public TimeSpan WarmUp { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Where ranked searches' features go (as the Elasticsearch LTR plugin logs them), for training from traffic joined
    /// with later events (<c>train-ranker --feature-log</c>). Shared by every generation and owned by the caller, who
    /// disposes it after the service stops. Default null: not logged. Warm-up searches are never logged.
    /// </summary>
    public IFeatureLogger? FeatureLogger { get; set; }

    /// <summary>
    /// How many of a search's best-ranked candidates the feature log holds, before the items of the page shown that the
    /// ranker placed below them. Default 50: the results people can see and the next ones, at about 35 KB per search
    /// instead of 140 KB for a window of 200.
    /// </summary>
    public int FeatureLogDepth { get; set; } = 50;

    /// <summary>
    /// Log every feature group the service can compute (the collaborative group, with item recency, and whatever deep
    /// and file-based groups the ranker loaded), not only the ranker's columns: a ranker trained from the log can then
    /// use the users' histories even when today's ranker reads text alone. Default false. Needs <see cref="FeatureLogger"/>.
    /// </summary>
    public bool LogAllFeatures { get; set; }

    /// <summary>Weight of the user's collaborative score against normalised BM25 when there is no ranker. Default 0.5.</summary>
    public float PersonalWeight { get; set; } = 0.5f;

    /// <summary>Parameters for retraining the collaborative models. Default: those the loaded models were trained with.</summary>
    public CollabOptions? RetrainOptions { get; set; }

    /// <summary>
    /// Whether a challenger that reads the control's features from the same sources scores the control's feature matrix
    /// instead of computing its own (the same numbers). Off only to compare the two (tests). Default true.
    /// </summary>
    internal bool ShareChallengerFeatures { get; set; } = true;

    /// <summary>Builds the ranking pipeline over the given recall. Default null: one from the ranker in <see cref="RankerPath"/>.</summary>
    public Func<IProductRecall, ProductIndex, CollabModels, SearchPipeline>? PipelineFactory { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(IndexPath) || !Directory.Exists(IndexPath))
            throw new ArgumentException($"ShopLoaderOptions.IndexPath: index folder '{IndexPath}' does not exist (build one with the demo or `searchrec index`).", nameof(IndexPath));
        if (string.IsNullOrWhiteSpace(CollabModelsPath))
            throw new ArgumentException("ShopLoaderOptions.CollabModelsPath must be set.", nameof(CollabModelsPath));
        if (File.Exists(CollabModelsPath))
            throw new ArgumentException($"ShopLoaderOptions.CollabModelsPath: '{CollabModelsPath}' is a file; give a models folder (from `searchrec train-cf`), or a new one to train from the event store.", nameof(CollabModelsPath));
        // Training into it replaces the folder, so never one that holds something other than collaborative models.
        if (Directory.Exists(CollabModelsPath) && !CollabModels.Exists(CollabModelsPath) && Directory.EnumerateFileSystemEntries(CollabModelsPath).Any())
            throw new ArgumentException($"ShopLoaderOptions.CollabModelsPath: '{CollabModelsPath}' holds no collaborative models (no collab.bin) but is not empty; give a folder from `searchrec train-cf`, or an empty or new one to train from the event store.", nameof(CollabModelsPath));
        if (RankerPath is not null && !Directory.Exists(RankerPath))
            throw new ArgumentException($"ShopLoaderOptions.RankerPath: ranker folder '{RankerPath}' does not exist.", nameof(RankerPath));
        if (ChallengerPath is not null)
        {
            if (RankerPath is null)
                throw new ArgumentException("ShopLoaderOptions.ChallengerPath is compared with the ranker in service: set RankerPath as well.", nameof(ChallengerPath));
            if (PipelineFactory is not null)
                throw new ArgumentException("ShopLoaderOptions.ChallengerPath is compared with the ranker of RankerPath, which PipelineFactory replaces: leave one of them out.", nameof(ChallengerPath));
            if (!Directory.Exists(ChallengerPath))
                throw new ArgumentException($"ShopLoaderOptions.ChallengerPath: ranker folder '{ChallengerPath}' does not exist.", nameof(ChallengerPath));
            if (InterleavingLog is null)
                throw new ArgumentException("ShopLoaderOptions.ChallengerPath needs InterleavingLog: the interleaved pages shown are what the comparison is read from.", nameof(InterleavingLog));
        }
        else if (InterleavingLog is not null)
            throw new ArgumentException("ShopLoaderOptions.InterleavingLog logs interleaved pages: set ChallengerPath as well.", nameof(InterleavingLog));
        if (!(InterleaveShare > 0 && InterleaveShare <= 1))
            throw new ArgumentException($"ShopLoaderOptions.InterleaveShare must be in (0, 1] (is {InterleaveShare.ToString(CultureInfo.InvariantCulture)}).", nameof(InterleaveShare));
        if (FeedRankerPath is not null && !Directory.Exists(FeedRankerPath))
            throw new ArgumentException($"ShopLoaderOptions.FeedRankerPath: ranker folder '{FeedRankerPath}' does not exist.", nameof(FeedRankerPath));
        if (FeedHistory is < 1 or > 1_000_000) throw new ArgumentException($"ShopLoaderOptions.FeedHistory must be in [1, 1000000] (is {FeedHistory}).", nameof(FeedHistory));
        if (DeepModelsPath is not null && !Directory.Exists(DeepModelsPath))
            throw new ArgumentException($"ShopLoaderOptions.DeepModelsPath: folder '{DeepModelsPath}' does not exist.", nameof(DeepModelsPath));
        if (QueriesPath is not null && !File.Exists(QueriesPath))
            throw new ArgumentException($"ShopLoaderOptions.QueriesPath: file '{QueriesPath}' does not exist.", nameof(QueriesPath));
        if (SuggestLogPath is not null && !File.Exists(SuggestLogPath))
            throw new ArgumentException($"ShopLoaderOptions.SuggestLogPath: file '{SuggestLogPath}' does not exist.", nameof(SuggestLogPath));
        if (RecallWindow is < 1 or > 10_000) throw new ArgumentException($"ShopLoaderOptions.RecallWindow must be in [1, 10000] (is {RecallWindow}).", nameof(RecallWindow));
        if (FeatureLogDepth is < 1 or > 10_000) throw new ArgumentException($"ShopLoaderOptions.FeatureLogDepth must be in [1, 10000] (is {FeatureLogDepth}).", nameof(FeatureLogDepth));
        if (ProductCacheSize is < 1 or > 20_000_000) throw new ArgumentException($"ShopLoaderOptions.ProductCacheSize must be in [1, 20000000] (is {ProductCacheSize}).", nameof(ProductCacheSize));
        if (WarmUp < TimeSpan.Zero || WarmUp > TimeSpan.FromMinutes(10)) throw new ArgumentException($"ShopLoaderOptions.WarmUp must be in [0, 10 min] (is {WarmUp}).", nameof(WarmUp));
        if (!(PersonalWeight >= 0)) throw new ArgumentException($"ShopLoaderOptions.PersonalWeight must be >= 0 (is {PersonalWeight}).", nameof(PersonalWeight));
        if (LogAllFeatures && (FeatureLogger is null || RankerPath is null))
            throw new ArgumentException("ShopLoaderOptions.LogAllFeatures needs FeatureLogger and RankerPath: it widens the ranker's feature log.", nameof(LogAllFeatures));
    }
}

/// <summary>
/// Loads a generation from a shop's files: opens the index, loads (or, on a retrain, trains from the event store
/// and saves) the collaborative models, and wires the stages behind the host's interfaces. Catalog changes are
/// written to the index (<see cref="ProductIndex.Update"/>), which the next load opens.
/// </summary>
public sealed class ShopLoader : IGenerationLoader, ICatalogUpdater
{
    private readonly ShopLoaderOptions _options;
    private readonly EventStoreLog _events;
    private readonly Lazy<IReadOnlyList<string>> _queries;
    private readonly Lazy<IReadOnlyList<string>> _suggestLog;

    // The last generation's products and the index files they came from: a reload over the same index takes them over.
    private (string IndexStamp, ProductCache Products)? _lastProducts;

    // The last generation's completions and the index files they came from: the log is read once, so the same index
    // gives the same completions (a retrain need not build them again).
    private (string IndexStamp, QuerySuggester Suggester)? _lastSuggester;

    // Enough for the hot methods to be called well past .NET's threshold for optimising them.
    internal const int WarmUpRounds = 2_000;

    // A reload finds the code optimised already; its warm-up only touches the new index and models.
    internal const int ReloadWarmUpRounds = 200;

    private int _loads;

    /// <summary>Creates the loader; nothing is read until <see cref="LoadAsync"/>.</summary>
    public ShopLoader(ShopLoaderOptions options, EventStoreLog events)
    {
        Guard.NotNull(options);
        options.Validate();
        _options = options;
        _events = Guard.NotNull(events);
        _queries = new(() => ReadQueries(options.QueriesPath));
        _suggestLog = new(() => options.SuggestLogPath is { } log ? QuerySuggester.ReadLog(log) : _queries.Value);
    }

    /// <inheritdoc />
    public CatalogChange Apply(CatalogUpdate update)
    {
        Guard.NotNull(update);
        return ProductIndex.Update(_options.IndexPath, update.Upserts, update.Deletes);
    }

    /// <inheritdoc />
    public Task<ServiceGeneration> LoadAsync(ReloadRequest request, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        Guard.NotNull(request);
        return Task.Run(() => Load(request.Retrain, progress, cancellationToken), cancellationToken);
    }

    private ServiceGeneration Load(bool retrain, IProgress<string>? progress, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        // A queries file that is not one is refused before the index and models are read, not after.
        _ = _queries.Value;
        _ = _suggestLog.Value;
        string indexStamp = FilesStamp(_options.IndexPath);
        var index = ProductIndex.Open(_options.IndexPath);
        var owned = new List<IDisposable> { index };
        var memo = new ProductCache(index, _options.ProductCacheSize);
        try
        {
            // Read in now, or the first thousands of searches after a start or a reload pay an index read per candidate
            // (over stored fields, a cold 100k shop served 40 requests/s for its first seconds, 250 over its first 3,000).
            var warm = Stopwatch.StartNew();
            if (_lastProducts is { } last && last.IndexStamp == indexStamp)
            {
                memo.Preload(last.Products.Held, ct);
                progress?.Report($"kept {memo.Cached:N0} products in memory from the previous generation (same index files)");
            }
            else if (index.Count <= memo.Capacity)
            {
                memo.Preload(index.Products(), ct);
                progress?.Report($"read {memo.Cached:N0} products into memory in {warm.Elapsed.TotalSeconds:F1} s");
            }
            ct.ThrowIfCancellationRequested();
            // The whole catalog, from memory when it was read in (the tower's cover and the completions walk it).
            IEnumerable<Product> Catalog() => memo.Cached == index.Count ? memo.Held : index.Products();
            long seen = _events.Count;
            CollabModels models;
            var saved = CollabModels.Exists(_options.CollabModelsPath);
            if (retrain || !saved)
            {
                CollabModels? old = null;
                if (saved)
                {
                    // A damaged file is what a retrain mends: its settings are then the defaults.
                    try { old = CollabModels.Load(_options.CollabModelsPath); }
                    catch (Exception e) when (e is InvalidDataException or IOException)
                    {
                        progress?.Report($"the saved collaborative models could not be read ({e.Message}); retraining them with the default settings");
                    }
                }
                // The store holding fewer events than the models learnt from is another store (a new or mistyped
                // --events, or models trained by train-cf from files): retraining would replace them with less.
                if (old is not null && seen < old.Card.Events)
                {
                    string store = _events.Store is SearchRec.Collab.Events.SqliteEventStore sqlite ? sqlite.Path : "STORE";
                    throw new InvalidDataException($"the event store {store} holds {seen:N0} events, fewer than the {old.Card.Events:N0} the models in {_options.CollabModelsPath} were trained on, so they were not retrained; import those events into the store first (searchrec import-events --store {store}), or retrain with searchrec train-cf");
                }
                var trainOptions = _options.RetrainOptions ?? old?.TrainedOptions ?? new CollabOptions();
                progress?.Report(saved
                    ? $"retraining collaborative models on {seen:N0} events"
                    : $"no collaborative models in {_options.CollabModelsPath}: training them on the store's {seen:N0} events");
                models = CollabModels.Train(_events.Store.ReadAll(), trainOptions);
                SaveAtomically(models, _options.CollabModelsPath);
            }
            else
            {
                models = CollabModels.Load(_options.CollabModelsPath);
                // Events stored after the models were trained reached only the live counts of the process that took
                // them (or none, when imported since): apply them again, or a restart or reload would forget them.
                int later = 0;
                seen = _events.Store.ReadAfter(models.Card.LastTimestamp, e =>
                {
                    models.Observe(e);
                    later++;
                });
                if (later > 0) progress?.Report($"applied {later:N0} stored events newer than the collaborative models ({DateTimeOffset.FromUnixTimeSeconds(models.Card.LastTimestamp):u}) to them");
            }
            ct.ThrowIfCancellationRequested();

            // Spread over the catalog: an index sorted by category starts with 200 products of one category.
            var itemIds = new List<string>(200);
            foreach (var p in index.Products(Math.Max(1, index.Count / 200)))
            {
                itemIds.Add(p.Id);
                if (itemIds.Count == 200) break;
            }
            var users = new List<long>(50);
            foreach (var e in _events.Store.ReadAll())
            {
                if (users.Count > 0 && users[^1] == e.UserId) continue;
                users.Add(e.UserId);
                if (users.Count == 50) break;
            }

            // Closed until the warm-up is over, so the log holds only real requests.
            var logGate = _options.FeatureLogger is { } featureLogger ? new GatedFeatureLogger(featureLogger) : null;
            Func<IProductRecall, SearchPipeline>? pipeline = null;
            LoadedRanker? control = null;
            // Item recency is read from the events stored at load time, once for the rankers and the feed; a reload or retrain refreshes it.
            var activity = new Lazy<ItemActivity>(() => ItemActivity.Build(_events.Store.ReadAll()));
            if (_options.PipelineFactory is { } factory) pipeline = recall => factory(recall, index, models);
            else if (_options.RankerPath is { } rankerPath)
            {
                control = RankerPipeline(rankerPath, _options.DeepModelsPath, logGate, _options.LogAllFeatures, memo, models, activity, Catalog, owned, null, progress);
                pipeline = control.Pipeline;
            }
            Interleaver? interleaver = null;
            if (_options.ChallengerPath is { } challengerPath && control is not null)
            {
                LoadedRanker loaded;
                // Refused as the ranker is, saying which of the two it is; not feature-logged: the log is the control's.
                // A deep model on the same files as the control's is read from the control's copy, not loaded twice.
                try { loaded = RankerPipeline(challengerPath, null, null, false, memo, models, activity, Catalog, owned, control, progress); }
                catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
                {
                    throw new InvalidDataException($"challenger {challengerPath}: {e.Message}", e);
                }
                var rankers = new InterleavedRankers(NameOf(_options.RankerPath!), control.Model.Kind, NameOf(challengerPath), loaded.Model.Kind);
                // Reading the control's features from the same sources, the challenger scores the control's feature matrix.
                var shares = loaded.ComputesControlFeatures && _options.ShareChallengerFeatures;
                interleaver = new Interleaver(shares ? (_, pipeline) => pipeline.WithModel(loaded.Model) : (recall, _) => loaded.Pipeline(recall), rankers, _options.InterleaveShare);
                if (shares) progress?.Report($"the challenger reads the control's features: an interleaved search computes them once for both");
                progress?.Report($"interleaving: {rankers.ControlName} ({rankers.ControlKind}) against the challenger {rankers.ChallengerName} ({rankers.ChallengerKind}) on "
                    + (_options.InterleaveShare >= 1 ? "every search" : $"{_options.InterleaveShare.ToString("P0", CultureInfo.InvariantCulture)} of the searches") + " by a known user in relevance order");
            }
            var search = new IndexSearchBackend(memo, models, _events.Store, pipeline, _options.RecallWindow, _options.PersonalWeight, interleaver);
            var similar = new CollabSimilarBackend(new SimilarItems(models, index, _events.Store));
            IRecommendationBackend recs;
            if (_options.FeedRankerPath is { } feedPath)
            {
                var feed = NextItemRecommender.Open(feedPath, models, activity.Value, _options.DeepRuntime);
                owned.Add(feed);
                recs = new CollabRecommendationBackend(models, _events.Store, feed, _options.FeedHistory);
                progress?.Report($"feed: next-item ranker {feedPath} ({feed.PerSource} candidates per source{(feed.Sources.Tower is null ? "" : ", behaviour tower")})");
            }
            else recs = new CollabRecommendationBackend(models, _events.Store);
            // Named by the files it was loaded from: replicas serving the same files share Redis entries, and a
            // retrain (new model files) or a new index gets a new name, so no cache entry outlives its generation.
            string id = GenerationId(_options);
            progress?.Report($"generation {id} loaded in {sw.Elapsed.TotalSeconds:F1} s ({index.Count:N0} products, ranker: {(search.HasRanker ? "yes" : "no")})");
            QuerySuggester suggester;
            if (_lastSuggester is { } kept && kept.IndexStamp == indexStamp) suggester = kept.Suggester;
            else
            {
                var suggestWatch = System.Diagnostics.Stopwatch.StartNew();
                suggester = QuerySuggester.Build(Catalog(), index, _suggestLog.Value);
                progress?.Report($"suggest: {suggester.Count:N0} completions from the catalog and {_suggestLog.Value.Count:N0} log queries in {suggestWatch.Elapsed.TotalSeconds:F1} s");
            }
            var generation = new ServiceGeneration(id, new IndexCatalog(memo, models), search, similar, recs, new CollabObserver(models), seen,
                new ShopSamples(_options.QueriesPath is null ? SampleCategories(index, memo) : _queries.Value, itemIds, users), owned)
            {
                Suggester = suggester,
                InterleavingLog = interleaver is null ? null : _options.InterleavingLog,
                Popularity = id => long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var item) ? models.PopularityOf(item) : float.NaN,
            };
            if (_options.WarmUp > TimeSpan.Zero)
            {
                int rounds = Interlocked.Increment(ref _loads) == 1 ? WarmUpRounds : ReloadWarmUpRounds;
                var w = GenerationWarmUp.Run(generation, _options.WarmUp, rounds, ct);
                progress?.Report($"warmed up with {w.Searches:N0} searches, {w.Similar:N0} similar-item and {w.Feeds:N0} feed requests in {w.Elapsed.TotalSeconds:F1} s");
            }
            logGate?.Open();
            // Only when the files did not change while they were read, or the next reload could keep stale products.
            var unchanged = indexStamp == FilesStamp(_options.IndexPath);
            _lastProducts = unchanged ? (indexStamp, memo) : null;
            _lastSuggester = unchanged ? (indexStamp, suggester) : null;
            return generation;
        }
        catch
        {
            foreach (var d in owned) d.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A loaded ranker: its pipeline over a recall, its model, the sources its features read, and the deep models it
    /// opened (null when none); for a challenger, whether its features are the control's computation.
    /// </summary>
    private sealed record LoadedRanker(Func<IProductRecall, SearchPipeline> Pipeline, IRankerModel Model, FeatureSources Sources, OpenedDeep? Deep,
        bool ComputesControlFeatures);

    /// <summary>
    /// The ranking pipeline of the ranker in <paramref name="rankerPath"/> and its model: as <c>search</c> loads one, with
    /// the deep towers of <paramref name="deepPath"/> or of the deep folder beside the ranker, and the files beside it.
    /// For a challenger, the models and files of <paramref name="control"/> are read instead of loading a second copy when
    /// they are the same files (<see cref="OpenedDeep.Lend"/>). What it opens goes to <paramref name="owned"/>.
    /// </summary>
    private LoadedRanker RankerPipeline(string rankerPath, string? deepPath, IFeatureLogger? log, bool logAll,
        ProductCache memo, CollabModels models, Lazy<ItemActivity> activity, Func<IEnumerable<Product>> catalog, List<IDisposable> owned,
        LoadedRanker? control, IProgress<string>? progress)
    {
        var shared = control?.Deep;
        var model = RankerStore.Read(rankerPath);
        var store = _events.Store;
        // As `search` does: without a deep folder given, the deep folder beside the ranker (train-ranker names it there).
        var deepDir = deepPath ?? ModelLocations.Deep(rankerPath);
        IDenseScorer? text;
        TowerSet? towers;
        BehaviourScorer? behaviour;
        string? checkedFingerprint;
        OpenedDeep? opened = null;
        if (shared?.Lend(deepDir, model.Schema, rankerPath) is { } lent)
        {
            (text, towers, behaviour, checkedFingerprint) = lent;
            progress?.Report($"{rankerPath}: reads the deep model already loaded from {shared.Dir} (the same files), not a second copy");
        }
        else
        {
            // Products added or retitled since train-deep (index --update, POST /admin/products) get vectors from the tower.
            var deepRuntime = _options.DeepRuntime.Covering(() => catalog().Select(p => KeyValuePair.Create(p.Id, p.Title)));
            (text, towers, behaviour, checkedFingerprint) = ModelLocations.LoadDeep(deepDir, model.Schema, rankerPath, deepRuntime);
            if (towers is not null) owned.Add(towers);
            if (text is IDisposable d) owned.Add(d);
            if (behaviour is not null) owned.Add(behaviour);
            if (deepDir is not null && (text is not null || towers is not null || behaviour is not null))
                opened = new OpenedDeep(deepDir, text, towers, behaviour, checkedFingerprint);
        }
        if (TowerAveragedRanker.In(model) is { } averaged) towers!.CheckFor(averaged);
        if (text is not null && DenseModels.CatalogMismatch(text, id => memo.GetProduct(id)?.Title, deepDir!) is { } mismatch)
            throw new InvalidDataException(mismatch);
        // The feature log says which tower scored its deep columns, so a ranker learnt from it can refuse another.
        var deepFingerprint = text is not null && log is not null ? checkedFingerprint ?? opened?.Fingerprint ?? ModelLocations.DeepFingerprint(deepDir!) : null;
        var recency = model.Schema.IndexOf("item_hours_since_event") >= 0 || logAll ? activity.Value : null;
        // train-ranker --idf / --prior write these beside ranker.json.
        var (titleStats, prior) = ModelLocations.LoadRankerFiles(rankerPath, model.Schema);
        // The prior may come from beside the ranker or from a prior/ folder near it: say which file, as search and eval do.
        if (prior is not null) progress?.Report($"{rankerPath}: query-log prior from {ModelLocations.Prior(rankerPath)}");
        if (control is not null)
        {
            // The control's statistics when the files are the same bytes, so that the features can be the same computation.
            if (titleStats is not null && control.Sources.TitleStats is { } controlStats && SameBytes(TitleStatsFile(rankerPath), TitleStatsFile(_options.RankerPath!)))
                titleStats = controlStats;
            if (prior is not null && control.Sources.Prior is { } controlPrior && SameBytes(ModelLocations.Prior(rankerPath)!, ModelLocations.Prior(_options.RankerPath!)!))
                prior = controlPrior;
        }
        var sources = new FeatureSources
        {
            Collab = models, Products = memo.GetProduct, DeepText = text, DeepTowers = towers, DeepBehaviour = behaviour, Activity = recency,
            TitleStats = titleStats, Prior = prior, ListAndHead = model.Schema.IndexOf("list_cov_gap") >= 0,
        };
        var features = StandardFeatures.ForSchema(model.Schema, sources);
        var logged = logAll ? StandardFeatures.ForSearch(sources) : null;
        return new LoadedRanker(recall => new SearchPipeline(recall, new ChineseTokenizer(), features, model,
            new SearchPipelineOptions { RecallWindow = _options.RecallWindow, FeatureLogDepth = _options.FeatureLogDepth, DeepFingerprint = deepFingerprint }, log, history: user =>
            {
                var events = store.GetHistory(user, 200);
                return events.Count == 0 ? null : new UserHistory(user, events, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            }, logged: logged), model, sources, opened, control is not null && SameFeatures(control, model.Schema, sources));
    }

    // The same columns from the same loaded sources: ForSchema builds the same extractor, so its features are the same
    // numbers. Products are the same ProductCache's look-up; item recency matters only to a schema that reads it.
    private static bool SameFeatures(LoadedRanker control, FeatureSchema schema, FeatureSources sources)
    {
        var c = control.Sources;
        return control.Model.Schema.Equals(schema) && ReferenceEquals(c.Collab, sources.Collab) && Equals(c.Products, sources.Products)
            && ReferenceEquals(c.DeepText, sources.DeepText) && ReferenceEquals(c.DeepTowers, sources.DeepTowers) && ReferenceEquals(c.DeepTermTowers, sources.DeepTermTowers)
            && ReferenceEquals(c.DeepBehaviour, sources.DeepBehaviour) && ReferenceEquals(c.TitleStats, sources.TitleStats) && ReferenceEquals(c.Prior, sources.Prior)
            && c.ListAndHead == sources.ListAndHead && (schema.IndexOf("item_hours_since_event") < 0 || ReferenceEquals(c.Activity, sources.Activity));
    }

    private static string TitleStatsFile(string rankerPath) => Path.Combine(ModelLocations.Ranker(rankerPath) ?? rankerPath, TitleBigramStats.FileName);

    // Read in blocks: a tower's item vectors are 512 MB at 1M products.
    private static bool SameBytes(string a, string b)
    {
        if (string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal)) return true;
        if (new FileInfo(a).Length != new FileInfo(b).Length) return false;
        using var sa = File.OpenRead(a);
        using var sb = File.OpenRead(b);
        var (ba, bb) = (new byte[1 << 16], new byte[1 << 16]);
        while (true)
        {
            int n = sa.ReadAtLeast(ba, ba.Length, throwOnEndOfStream: false);
            if (sb.ReadAtLeast(bb, n, throwOnEndOfStream: false) != n || !ba.AsSpan(0, n).SequenceEqual(bb.AsSpan(0, n))) return false;
            if (n < ba.Length) return true;
        }
    }

    /// <summary>
    /// The deep models a ranker's pipeline opened from a folder, so that a second ranker on the same files (a
    /// challenger) reads them instead of holding another copy of the towers and their item vectors.
    /// </summary>
    private sealed class OpenedDeep(string dir, IDenseScorer? text, TowerSet? towers, BehaviourScorer? behaviour, string? fingerprint)
    {
        private string? _fingerprint = fingerprint;

        /// <summary>The folder they were opened from (full path).</summary>
        public string Dir { get; } = Full(dir);

        /// <summary>Its fingerprint (<see cref="ModelLocations.DeepFingerprint"/>), hashed when first asked for.</summary>
        public string Fingerprint => _fingerprint ??= ModelLocations.DeepFingerprint(Dir);

        /// <summary>
        /// What <see cref="ModelLocations.LoadDeep"/> would open from <paramref name="deepDir"/> for a ranker with
        /// <paramref name="schema"/>, taken from these models when they are the same files: the same folder, or one whose
        /// fingerprint is the same (a copy, or an ensemble naming the same towers). Null when the files differ, when the
        /// ranker reads a part not opened here or none at all, or when its behaviour tower is in another folder (the
        /// fingerprint covers the text towers alone): the caller then loads its own. Checks the ranker's card as
        /// LoadDeep does.
        /// </summary>
        public (IDenseScorer? Text, TowerSet? Towers, BehaviourScorer? Behaviour, string? CheckedFingerprint)? Lend(string? deepDir, FeatureSchema schema, string rankerDir)
        {
            // A next-item ranker or a folder without a model: LoadDeep refuses them, saying why.
            if (deepDir is null || !DenseModels.Exists(deepDir) || SearchRec.Ranking.NextItem.NextItemRanking.IsNextItemSchema(schema)) return null;
            bool readsText = schema.IndexOf("deep_query_item") >= 0, readsBehaviour = schema.IndexOf("deep_user_item") >= 0;
            int towerCount = TowerDeepFeatures.TowerCount(schema);
            if (!readsText && !readsBehaviour && towerCount == 0) return null;
            if ((readsText && text is null) || (towerCount > 0 && towers?.Count != towerCount) || (readsBehaviour && behaviour is null)) return null;
            if (readsBehaviour && Full(DenseModels.BehaviourFolder(deepDir)) != Full(DenseModels.BehaviourFolder(Dir))) return null;
            string? print = _fingerprint;
            if (Full(deepDir) != Dir)
            {
                // The fingerprint covers the item vectors, not the query tower: a quick no, and the bytes say yes.
                print = ModelLocations.DeepFingerprint(deepDir);
                if (print != Fingerprint || !SameFiles(Dir, Full(deepDir))) return null;
            }
            var checkedPrint = ModelLocations.CheckDeepFingerprint(deepDir, rankerDir, print);
            return (readsText ? text : null, towerCount > 0 ? towers : null, readsBehaviour ? behaviour : null, checkedPrint);
        }

        private static string Full(string path) => Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);

        // Every file under the two folders, by relative path and bytes.
        private static bool SameFiles(string a, string b)
        {
            var left = Directory.GetFiles(a, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a, f)).Order(StringComparer.Ordinal).ToList();
            var right = Directory.GetFiles(b, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(b, f)).Order(StringComparer.Ordinal).ToList();
            return left.SequenceEqual(right, StringComparer.Ordinal) && left.All(f => SameBytes(Path.Combine(a, f), Path.Combine(b, f)));
        }
    }

    // A ranker as the impression log names it: its folder's name.
    private static string NameOf(string rankerPath) => Path.GetFileName(Path.GetFullPath(rankerPath).TrimEnd(Path.DirectorySeparatorChar)) is { Length: > 0 } name ? name : rankerPath;

    private static string GenerationId(ShopLoaderOptions o)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var dir in new[] { o.IndexPath, o.CollabModelsPath, o.RankerPath, o.DeepModelsPath, o.FeedRankerPath, o.ChallengerPath })
        {
            if (dir is not null) sb.Append(FilesStamp(dir));
        }
        return "g" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sb.ToString())))[..12];
    }

    /// <summary>Every file under <paramref name="dir"/> with its size and time: changes when any file is rewritten.</summary>
    private static string FilesStamp(string dir)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var f in new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).OrderBy(f => f.FullName, StringComparer.Ordinal))
            sb.Append(CultureInfo.InvariantCulture, $"{Path.GetRelativePath(dir, f.FullName)}|{f.Length}|{f.LastWriteTimeUtc.Ticks}\n");
        return sb.ToString();
    }

    /// <summary>Writes next to the live folder, then swaps folders, so a crash never leaves half-written models.</summary>
    private static void SaveAtomically(CollabModels models, string dir)
    {
        string full = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar);
        string fresh = full + ".new", old = full + ".old";
        if (Directory.Exists(fresh)) Directory.Delete(fresh, true);
        models.Save(fresh);
        if (Directory.Exists(old)) Directory.Delete(old, true);
        if (!Directory.Exists(full))
        {
            Directory.Move(fresh, full);
            return;
        }
        Directory.Move(full, old);
        Directory.Move(fresh, full);
        Directory.Delete(old, true);
    }

    // Without a queries file, the catalog's most common leaf categories (连衣裙, 充电宝) are what a shopper would
    // type: the page offers them as examples, and the warm-up and `bench http` search them. Numeric ones (a catalog
    // built from an event log) and catalogs without categories give none.
    // From the products in memory when the whole catalog is there, else from about 100,000 spread over the index
    // (an index sorted by category starts with one category).
    private static IReadOnlyList<string> SampleCategories(ProductIndex index, ProductCache memo) =>
        memo.Cached == index.Count ? CategoryQueries(memo.Held) : CategoryQueries(index.Products(Math.Max(1, index.Count / 100_000)));

    internal static IReadOnlyList<string> CategoryQueries(IEnumerable<Product> catalog, int products = int.MaxValue, int take = 50)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var read = 0;
        foreach (var p in catalog)
        {
            if (read++ == products) break;
            if (p.Category.Count == 0) continue;
            var leaf = p.Category[^1].Trim();
            if (leaf.Length is 0 or > 20 || leaf.All(char.IsAsciiDigit)) continue;
            counts[leaf] = counts.GetValueOrDefault(leaf) + 1;
        }
        return [.. counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(take).Select(kv => kv.Key)];
    }

    private static IReadOnlyList<string> ReadQueries(string? path)
    {
        if (path is null) return [];
        // The strict reader: a qrels or run file given by mistake is refused naming its line, not offered as queries.
        var list = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, text) in SearchRec.Core.Judgments.JudgmentReader.ReadQueries(path))
        {
            if (seen.Add(text)) list.Add(text);
            if (list.Count == 500) break;
        }
        return list;
    }
}

/// <summary>Passes records on to the shared logger once opened; drops them before.</summary>
internal sealed class GatedFeatureLogger(IFeatureLogger inner) : IFeatureLogger
{
    private volatile bool _open;

    public void Open() => _open = true;

    public void Log(FeatureLogRecord record)
    {
        if (_open) inner.Log(record);
    }
}
