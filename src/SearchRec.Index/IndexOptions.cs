namespace SearchRec.Index;

/// <summary>
/// How a <see cref="ProductIndex"/> analyzes and scores text. Saved beside an on-disk index and reloaded by
/// <see cref="ProductIndex.Open"/>, so queries are analyzed exactly as the products were.
/// </summary>
public sealed class IndexOptions
{
    /// <summary>Analyzer of the segmented title, brand, category and attribute fields. Default <c>searchrec</c>.</summary>
    public string TitleAnalyzer { get; set; } = "searchrec";

    /// <summary>
    /// Analyzer of the CJK-bigram copy of the title. Default <c>cjk-bigram-unigram</c>: Lucene's CJK bigrams plus the
    /// single characters (nDCG@10 0.79 on ecom-search against 0.71 for bigrams alone, <c>cjk-bigram</c>).
    /// </summary>
    public string BigramAnalyzer { get; set; } = "cjk-bigram-unigram";

    /// <summary>A user dictionary for the title analyzer (one word per line), or null. Default null.</summary>
    public string? UserDictionaryPath { get; set; }

    /// <summary>A synonyms file for the title analyzer, or null. Default null.</summary>
    public string? SynonymsPath { get; set; }

    /// <summary>
    /// Whether every field's analyzer folds traditional Chinese characters to simplified ones
    /// (<see cref="SearchRec.Text.TraditionalChinese"/>), so <c>黑色聖誕樹</c> finds <c>黑色圣诞树</c> and the other way
    /// round. Default true; an index saved before this option existed reopens with it off (it was built without).
    /// </summary>
    public bool FoldTraditional { get; set; } = true;

    /// <summary>BM25 term-frequency saturation k1, in [0, 10]. Default 1.2.</summary>
    public float K1 { get; set; } = 1.2f;

    /// <summary>BM25 length normalisation b, in [0, 1]. Default 0.75.</summary>
    public float B { get; set; } = 0.75f;

    /// <summary>
    /// How a multi-field recall (<see cref="RecallFields.All"/>) combines fields: the best field's BM25 score plus this
    /// share of the other fields' scores, in [0, 1] (1 is a plain sum). Default 0.3.
    /// </summary>
    public float TieBreaker { get; set; } = 0.3f;

    /// <summary>
    /// Most distinct terms a recall keeps per analyzer, in [1, 48]: a query with more (a pasted title) keeps its
    /// rarest ones, highest IDF first, and is scored approximately; shorter ones are exact. Default 32: the bigram
    /// analyzer reads each CJK character and each pair, so about 16 characters (98% of the ecom-search query log is
    /// shorter).
    /// </summary>
    public int QueryTermCap { get; set; } = 32;

    /// <summary>
    /// A query whose title analysis gives more than this many distinct words (a pasted title) is "long": its common
    /// terms (<see cref="CommonTermCutoff"/>) only score products that match one of its rarer terms, as Lucene's
    /// <c>CommonTermsQuery</c> and Elasticsearch's <c>cutoff_frequency</c> do; shorter queries are exact. In [0, 48];
    /// 0 turns the cutoff off. Default 12.
    /// </summary>
    public int LongQueryWords { get; set; } = 12;

    /// <summary>
    /// In a long query (<see cref="LongQueryWords"/>), a term held by more than this share of products is common, in
    /// (0, 1]. Default 0.01.
    /// </summary>
    public float CommonTermCutoff { get; set; } = 0.01f;

    /// <summary>
    /// Threads one recall may use, in [1, 8]: a segment whose windows hold enough postings above the primed threshold
    /// is split between the calling thread and up to this many minus one thread-pool helpers, each keeping its own top
    /// N and pruning with the best N-th score any of them has (results are the same). Only idle cores are used: with
    /// as many recalls running as cores, each stays on its own thread. 1 keeps every recall on the calling thread.
    /// Default 2: on the quiet 2-core machine at 1M products, one client, it took recall from p50 2.35 / p99 17.3 ms to
    /// 1.75–1.97 / 10.1–11.6 ms over three runs, and with two clients throughput was the same (617 vs 616 queries/s), since no helper is started
    /// while every core runs a recall. Read when the index is opened; not part of how it was built.
    /// </summary>
    public int RecallParallelism { get; set; } = 2;

    /// <summary>
    /// The order <see cref="ProductIndex.Build"/> gives the products' doc ids (results do not depend on it: ties go to
    /// the earlier input product either way). Default <see cref="DocOrder.Category"/>: at 1M synthetic products it took
    /// recall's thread CPU from p50 2.2-2.7 / p99 10.7-11.5 ms to 1.0-1.1 / 7.8-8.6 against
    /// <see cref="DocOrder.TitleLength"/> (three interleaved runs on a shared machine, preliminary).
    /// </summary>
    public DocOrder DocOrder { get; set; } = DocOrder.Category;

    /// <summary>
    /// Whether <see cref="ProductIndex.Build"/> force-merges the index into one segment, so recall visits all windows
    /// best bound first instead of segment by segment. Default true: at 1M synthetic products in category order (2
    /// segments otherwise) a quiet interleaved run of 20,000 queries gave recall p50 / p99 0.82 / 8.70 ms against
    /// 0.96 / 9.09, for no measurable build time (26.2 s against 27.1) and 206 MB of resident lists against 164.
    /// Small catalogs fit one segment either way.
    /// </summary>
    public bool MergeToOneSegment { get; set; } = true;

    /// <summary>
    /// Whether <see cref="ProductIndex.Build"/> also keeps each product as one binary doc value: a whole
    /// <see cref="ProductIndex.GetProduct"/> then takes about 2.6 µs instead of 36 on a 100k on-disk index
    /// (<c>ProductReadBenchmarks</c>), and does not slow down when threads read at once as stored fields do. Default true; costs disk (about as much again as the stored fields). Indexes built
    /// without it are read from their stored fields.
    /// </summary>
    public bool ProductDocValues { get; set; } = true;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad field.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(TitleAnalyzer))
            throw new ArgumentException("IndexOptions.TitleAnalyzer must name an analyzer.", nameof(TitleAnalyzer));
        if (!Internals.AnalyzerFactory.IsKnown(TitleAnalyzer))
            throw new ArgumentException($"IndexOptions.TitleAnalyzer '{TitleAnalyzer}' is unknown; known: {Internals.AnalyzerFactory.KnownNames}.", nameof(TitleAnalyzer));
        if (string.IsNullOrWhiteSpace(BigramAnalyzer))
            throw new ArgumentException("IndexOptions.BigramAnalyzer must name an analyzer.", nameof(BigramAnalyzer));
        if (!Internals.AnalyzerFactory.IsKnown(BigramAnalyzer))
            throw new ArgumentException($"IndexOptions.BigramAnalyzer '{BigramAnalyzer}' is unknown; known: {Internals.AnalyzerFactory.KnownNames}.", nameof(BigramAnalyzer));
        if (UserDictionaryPath is not null && !File.Exists(UserDictionaryPath))
            throw new ArgumentException($"IndexOptions.UserDictionaryPath '{UserDictionaryPath}' does not exist.", nameof(UserDictionaryPath));
        if (SynonymsPath is not null && !File.Exists(SynonymsPath))
            throw new ArgumentException($"IndexOptions.SynonymsPath '{SynonymsPath}' does not exist.", nameof(SynonymsPath));
        if (!(K1 >= 0f && K1 <= 10f))
            throw new ArgumentException($"IndexOptions.K1 must be in [0, 10], was {K1}.", nameof(K1));
        if (!(B >= 0f && B <= 1f))
            throw new ArgumentException($"IndexOptions.B must be in [0, 1], was {B}.", nameof(B));
        if (!(TieBreaker >= 0f && TieBreaker <= 1f))
            throw new ArgumentException($"IndexOptions.TieBreaker must be in [0, 1], was {TieBreaker}.", nameof(TieBreaker));
        if (QueryTermCap < 1 || QueryTermCap > ProductIndex.MaxQueryTerms)
            throw new ArgumentException($"IndexOptions.QueryTermCap must be in [1, {ProductIndex.MaxQueryTerms}], was {QueryTermCap}.", nameof(QueryTermCap));
        if (LongQueryWords < 0 || LongQueryWords > ProductIndex.MaxQueryTerms)
            throw new ArgumentException($"IndexOptions.LongQueryWords must be in [0, {ProductIndex.MaxQueryTerms}], was {LongQueryWords}.", nameof(LongQueryWords));
        if (!(CommonTermCutoff > 0f && CommonTermCutoff <= 1f))
            throw new ArgumentException($"IndexOptions.CommonTermCutoff must be in (0, 1], was {CommonTermCutoff}.", nameof(CommonTermCutoff));
        if (!Enum.IsDefined(DocOrder))
            throw new ArgumentException($"IndexOptions.DocOrder must be one of {string.Join(", ", Enum.GetNames<DocOrder>())}, was {(int)DocOrder}.", nameof(DocOrder));
        if (RecallParallelism < 1 || RecallParallelism > MaxRecallParallelism)
            throw new ArgumentException($"IndexOptions.RecallParallelism must be in [1, {MaxRecallParallelism}], was {RecallParallelism}.", nameof(RecallParallelism));
    }

    /// <summary>The bound of <see cref="RecallParallelism"/>.</summary>
    internal const int MaxRecallParallelism = 8;

    /// <summary>A copy, so an index keeps the options it was built with.</summary>
    internal IndexOptions Clone() => (IndexOptions)MemberwiseClone();
}

/// <summary>
/// How a bulk build orders the products' doc ids. Recall prunes per window of doc ids, so an order that puts alike
/// products in the same windows lets it skip more of them; results are the same in any order.
/// </summary>
public enum DocOrder
{
    /// <summary>Shortest title first (BM25 favours short titles, so windows' score bounds fall along the index).</summary>
    TitleLength,

    /// <summary>By category path, then brand, then title length: a window holds few categories and brands.</summary>
    Category,
}
