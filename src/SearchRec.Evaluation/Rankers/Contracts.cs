using SearchRec.Core;
using SearchRec.Evaluation.Trec;
using SearchRec.Index;

namespace SearchRec.Evaluation.Rankers;

/// <summary>A ranker the evaluation can run: documents for a query, best first.</summary>
public interface IEvalRanker
{
    /// <summary>The ranker's registry name, e.g. <c>bm25</c>.</summary>
    string Name { get; }

    /// <summary>Up to <paramref name="depth"/> documents for the query, best first. Must be thread-safe.</summary>
    /// <param name="queryId">The query id (lets a personalised ranker find the query's user through <see cref="EvalContext"/>).</param>
    /// <param name="query">The query text.</param>
    /// <param name="depth">How many documents to return at most.</param>
    IReadOnlyList<(string DocId, float Score)> Rank(string queryId, string query, int depth);
}

/// <summary>
/// A ranker that must be trained (LambdaMART, weighted fusion, deep fusion). The evaluation cross-validates it:
/// <see cref="Train"/> is called once per fold with that fold's training queries only, and the result ranks the held-out queries.
/// </summary>
public interface ICrossValidatedRankerFactory
{
    /// <summary>The registry name.</summary>
    string Name { get; }

    /// <summary>Trains a ranker on <paramref name="trainQueries"/> (their judgments are in <see cref="EvalContext.Qrels"/>).</summary>
    IEvalRanker Train(EvalContext context, IReadOnlyList<EvalQuery> trainQueries);
}

/// <summary>
/// Implemented by a stage assembly (Ranking, Deep, Collab) to add its rankers. The CLI finds every non-abstract
/// implementation in the SearchRec assemblies and calls <see cref="Register"/> once, so adding a ranker means adding one class.
/// </summary>
public interface IEvalRankerModule
{
    /// <summary>Registers this module's rankers.</summary>
    void Register(EvalRankerRegistry registry);
}

/// <summary>A part of the HTML report (e.g. feature importance) that a ranker contributes.</summary>
/// <param name="Title">The section heading.</param>
/// <param name="Html">The section body: trusted HTML made by the ranker (escape any text you put in it).</param>
public sealed record ReportSection(string Title, string Html);

/// <summary>
/// Implemented by an <see cref="IEvalRanker"/> with something to show in the report, such as LambdaMART's feature
/// importance. The report adds each section under the ranker's name.
/// </summary>
public interface IReportSectionSource
{
    /// <summary>The sections to add.</summary>
    IReadOnlyList<ReportSection> GetReportSections();
}

/// <summary>What rankers are built from: the index, the catalog, models, events, the queries and their judgments.</summary>
public sealed class EvalContext
{
    /// <summary>Creates a context.</summary>
    public EvalContext(IProductRecall index, IReadOnlyList<Product> catalog, IReadOnlyList<EvalQuery> queries, Qrels qrels)
    {
        Index = Guard.NotNull(index);
        Catalog = Guard.NotNull(catalog);
        Queries = Guard.NotNull(queries);
        Qrels = Guard.NotNull(qrels);
        var byId = new Dictionary<string, EvalQuery>(StringComparer.Ordinal);
        foreach (var q in queries) byId[q.Id] = q;
        _queriesById = byId;
        Root = this;
    }

    private readonly Dictionary<string, EvalQuery> _queriesById;

    /// <summary>The product index (a <see cref="ProductIndex"/> in the CLI).</summary>
    public IProductRecall Index { get; }

    /// <summary>The catalog that was indexed.</summary>
    public IReadOnlyList<Product> Catalog { get; }

    /// <summary>Every evaluation query, with users and timestamps where known.</summary>
    public IReadOnlyList<EvalQuery> Queries { get; }

    /// <summary>The judgments. A cross-validated factory must only read those of its training queries.</summary>
    public Qrels Qrels { get; }

    /// <summary>Directory of trained models (<c>--models</c>), or null.</summary>
    public string? ModelsDirectory { get; init; }

    /// <summary>Behaviour event files (<c>user_id,item_id,category_id,behavior,timestamp</c>); empty when none.</summary>
    public IReadOnlyList<string> EventFiles { get; init; } = [];

    /// <summary>Number of cross-validation folds (2 or more). Default 5.</summary>
    public int Folds { get; init; } = 5;

    /// <summary>Seed of the fold assignment and of any training randomness. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>
    /// Graded query–title JSON Lines (QBQTC's <c>{query, title, label}</c>) whose queries may serve as extra,
    /// out-of-domain training groups (rankers named <c>*-qbqtc</c>); null for none. Never evaluated on.
    /// </summary>
    public string? OutOfDomainTraining { get; init; }

    /// <summary>More graded-pair files whose titles join the out-of-domain catalog (no judgment is read from them).</summary>
    public IReadOnlyList<string> OutOfDomainCatalog { get; init; } = [];

    /// <summary>How many out-of-domain training queries to use (the first ones of the file with a relevant title). Default 2,000.</summary>
    public int OutOfDomainQueries { get; init; } = 2_000;

    /// <summary>
    /// How many of BM25's candidates the trained rankers re-rank (the rescore window; the rest keep BM25's order below
    /// them). Default 200, as <c>search</c> and the service; from 1 to 10,000.
    /// </summary>
    public int RerankWindow
    {
        get => _rerankWindow;
        init => _rerankWindow = value is >= 1 and <= 10_000 ? value : throw new ArgumentOutOfRangeException(nameof(RerankWindow), value, "the re-rank window must be between 1 and 10,000");
    }

    private readonly int _rerankWindow = 200;

    /// <summary>Where a ranker may report training progress (one line at a time); null for none.</summary>
    public IProgress<string>? Log { get; init; }

    /// <summary>
    /// True for a context made from the arguments, queries and judgments before the catalog is read and indexed
    /// (<see cref="Index"/> and <see cref="Catalog"/> empty), so that a named ranker that cannot run is refused before
    /// the indexing: an unavailable check that needs the index, the catalog or the models' features answers null here,
    /// and is asked again on the full context.
    /// </summary>
    public bool ArgumentsOnly { get; init; }

    /// <summary>The query with this id, or null.</summary>
    public EvalQuery? Query(string queryId) => _queriesById.GetValueOrDefault(queryId);

    /// <summary>
    /// The context an evaluation started from: a <see cref="WithSeed"/> copy points at its original, so per-evaluation
    /// caches (candidates, features) are shared across seeds.
    /// </summary>
    internal EvalContext Root { get; private init; } = null!;

    /// <summary>This context with another seed (repeated cross-validation); everything else is the same.</summary>
    public EvalContext WithSeed(int seed) => new(Index, Catalog, Queries, Qrels)
    {
        // Every init property is copied here; a new one must be added too.
        ModelsDirectory = ModelsDirectory,
        EventFiles = EventFiles,
        Folds = Folds,
        Seed = seed,
        OutOfDomainTraining = OutOfDomainTraining,
        OutOfDomainCatalog = OutOfDomainCatalog,
        OutOfDomainQueries = OutOfDomainQueries,
        RerankWindow = RerankWindow,
        Log = Log,
        ArgumentsOnly = ArgumentsOnly,
        Root = Root,
    };
}
