using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Cjk;
using Lucene.Net.Analysis.Miscellaneous;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Index;
using Lucene.Net.Queries;
using Lucene.Net.Queries.Mlt;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using SearchRec.Core;
using SearchRec.Index.Internals;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace SearchRec.Index;

/// <summary>
/// A Lucene index of products with BM25 recall (per-field scores kept per candidate), filters on category, brand
/// and price, stored products and MoreLikeThis neighbours. An instance reads one commit of the index and never
/// changes; every member is thread-safe. <see cref="Update"/> writes a new commit that the next <see cref="Open"/> sees.
/// </summary>
public sealed partial class ProductIndex : IProductRecall, IDisposable
{
    /// <summary>The file beside the Lucene files that holds the build options.</summary>
    internal const string OptionsFileName = "searchrec-index.json";

    /// <summary>Most distinct query terms read per analyzer, the bound of <see cref="IndexOptions.QueryTermCap"/>.</summary>
    internal const int MaxQueryTerms = 48;

    private static readonly Sort ScoreThenInputOrder = new(SortField.FIELD_SCORE, new SortField(IndexFields.Ordinal, SortFieldType.INT64));

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    [ThreadStatic] private static QueryScratch? t_scratch;

    private readonly LuceneDirectory _directory;
    private readonly Analyzer _analyzer;
    private readonly DirectoryReader _reader;
    private readonly IndexSearcher _searcher;
    private readonly IList<AtomicReaderContext> _leaves;
    private readonly bool _productValues; // the index keeps each product as a binary doc value (IndexOptions.ProductDocValues)
    private readonly MaxScoreEvaluator _evaluator;
    private readonly MaxScoreEvaluator _sumEvaluator; // fields summed: MoreLikeThis's query
    private readonly IndexReader _mltReader;          // the same segments, terms looked up with per-thread enumerators (SharedTermsReader)
    private readonly ThreadLocal<IdLookup> _idLookup;

    private ProductIndex(LuceneDirectory directory, Analyzer analyzer, IndexOptions options, string? path, bool fresh)
    {
        _directory = directory;
        _analyzer = analyzer;
        Options = options;
        Path = path;
        _reader = DirectoryReader.Open(directory);
        try
        {
            var sums = ExactBm25Similarity.SumLengths(_reader, IndexFields.Scored);
            _searcher = new IndexSearcher(_reader) { Similarity = new ExactBm25Similarity(options.K1, options.B, sums) };
            _leaves = _reader.Leaves;
            _productValues = MultiFields.GetMergedFieldInfos(_reader).FieldInfo(IndexFields.ProductValue)?.DocValuesType == DocValuesType.BINARY;
            var fields = FieldsOf(_reader, options, sums);
            Bounds = LoadOrComputeBounds(fields, path, fresh);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            Resident = ResidentPostings.Load(_reader, IndexFields.Scored);
            ResidentSeconds = sw.Elapsed.TotalSeconds;
            _evaluator = new MaxScoreEvaluator(_reader, fields, Bounds, options.TieBreaker, Resident);
            _evaluator.Parallelism = options.RecallParallelism;
            _sumEvaluator = _evaluator.WithTieBreaker(1f);
            _mltReader = SharedTermsReader.Over(_leaves);
            _idLookup = new ThreadLocal<IdLookup>(() => new IdLookup(_leaves.Count));
            LongQueryWords = options.LongQueryWords;
        }
        catch
        {
            _reader.Dispose();
            throw;
        }
    }

    /// <summary>Per-term score bounds of the pruned recall.</summary>
    internal TermBounds Bounds { get; }

    /// <summary>The Lucene reader (for tests comparing against Lucene's own postings).</summary>
    internal IndexReader Reader => _reader;

    /// <summary>The long posting lists held in memory for the pruned recall.</summary>
    internal ResidentPostings Resident { get; }

    /// <summary>Seconds the open spent copying <see cref="Resident"/>.</summary>
    internal double ResidentSeconds { get; }

    /// <summary>Seconds the build spent computing <see cref="Bounds"/> (0 when they were loaded or are lazy).</summary>
    internal double BoundsSeconds { get; private set; }

    /// <summary>Postings read and skips made by the calling thread's last pruned <see cref="MoreLikeThis"/>.</summary>
    internal RecallWork LastMoreLikeThisWork => _sumEvaluator.LastWork;

    /// <summary>Postings read and skips made by the calling thread's last <see cref="Recall"/>.</summary>
    internal RecallWork LastRecallWork => _evaluator.LastWork;

    /// <summary>Whether recall starts each segment from a conjunctive priming threshold (results are the same either way).</summary>
    internal bool RecallPriming
    {
        get => _evaluator.Priming;
        set => _evaluator.Priming = value;
    }

    /// <summary>Threads one recall may use (from <see cref="IndexOptions.RecallParallelism"/>; results are the same either way).</summary>
    internal int RecallParallelism
    {
        get => _evaluator.Parallelism;
        set
        {
            if (value < 1 || value > IndexOptions.MaxRecallParallelism) throw new ArgumentOutOfRangeException(nameof(value), value, $"RecallParallelism must be in [1, {IndexOptions.MaxRecallParallelism}].");
            _evaluator.Parallelism = value;
        }
    }

    /// <summary>Most active clauses of a segment that recall primes (results are the same whatever it is).</summary>
    internal int RecallPrimeMaxClauses
    {
        get => _evaluator.PrimeMaxClauses;
        set => _evaluator.PrimeMaxClauses = value;
    }

    /// <summary>Cores a split recall counts on (the machine's; tests raise it to split under concurrent callers too).</summary>
    internal int RecallCores
    {
        get => _evaluator.Cores;
        set => _evaluator.Cores = value;
    }

    /// <summary>Postings a segment's live windows must hold before a recall splits them between threads.</summary>
    internal int RecallParallelMinPostings
    {
        get => _evaluator.ParallelMinPostings;
        set => _evaluator.ParallelMinPostings = value;
    }

    // Each scored field's BM25 parameters over this reader's documents.
    private static FieldBm25[] FieldsOf(IndexReader reader, IndexOptions options, IReadOnlyDictionary<string, long> sums)
    {
        var fields = new FieldBm25[IndexFields.Scored.Length];
        for (var f = 0; f < fields.Length; f++)
        {
            var name = IndexFields.Scored[f];
            fields[f] = new FieldBm25(name, options.K1, options.B, FieldBm25.Average(reader, name, sums[name]));
        }
        return fields;
    }

    private TermBounds LoadOrComputeBounds(FieldBm25[] fields, string? path, bool fresh)
    {
        var file = path is null ? null : System.IO.Path.Combine(path, TermBounds.FileName);
        if (!fresh && file is not null && TermBounds.Load(file, fields, _reader.IndexCommit.Generation) is { } loaded) return loaded;
        // An index from before the side file (or with other settings): bounds per term on first use.
        if (!fresh) return TermBounds.Lazy(_reader, fields);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var bounds = TermBounds.Compute(_reader, fields);
        if (file is not null) bounds.Save(file, _reader.IndexCommit.Generation);
        BoundsSeconds = sw.Elapsed.TotalSeconds;
        return bounds;
    }

    /// <summary>The index directory, or null for an in-memory index.</summary>
    public string? Path { get; }

    /// <summary>The options the index was built with.</summary>
    public IndexOptions Options { get; }

    /// <inheritdoc />
    public int Count => _reader.NumDocs;

    /// <summary>
    /// Indexes products, in memory (<paramref name="path"/> null) or in a directory whose previous index is replaced.
    /// Ids must be unique and titles non-empty (an <see cref="ArgumentException"/> names the product otherwise; an
    /// index on disk is then left as it was).
    /// </summary>
    /// <param name="products">The products to index.</param>
    /// <param name="options">Analysis and BM25 options; validated here and saved beside an on-disk index.</param>
    /// <param name="path">The index directory, or null for an in-memory index.</param>
    /// <param name="progress">Receives the number of products indexed so far, every few thousand and at the end.</param>
    public static ProductIndex Build(IEnumerable<Product> products, IndexOptions options, string? path = null, IProgress<long>? progress = null)
    {
        Guard.NotNull(products);
        Guard.NotNull(options);
        options.Validate();
        var opts = options.Clone();
        // Before the folder: a bad user dictionary or synonym file left an empty index folder behind, which a later
        // search opened as a broken index.
        var analyzer = CreateAnalyzer(opts);
        LuceneDirectory dir;
        try
        {
            if (path is null) dir = new RAMDirectory();
            else
            {
                System.IO.Directory.CreateDirectory(path);
                dir = FSDirectory.Open(path);
            }
        }
        catch
        {
            analyzer.Dispose();
            throw;
        }
        try
        {
            var config = new IndexWriterConfig(LuceneVersion.LUCENE_48, analyzer)
            {
                OpenMode = OpenMode.CREATE,
                Similarity = new ExactBm25Similarity(opts.K1, opts.B),
                RAMBufferSizeMB = 256,
                UseCompoundFile = false,
                MergePolicy = new TieredMergePolicy { NoCFSRatio = 0.0 },
            };
            IndexWriter writer;
            try
            {
                writer = new IndexWriter(dir, config);
            }
            catch (LockObtainFailedException e) when (path is not null)
            {
                throw new IndexBusyException(path, e);
            }
            try
            {
                AddAll(writer, products, opts.DocOrder, opts.ProductDocValues, progress);
                if (opts.MergeToOneSegment) writer.ForceMerge(1);
                using (var nrt = DirectoryReader.Open(writer, applyAllDeletes: false))
                    ThrowOnDuplicateId(nrt);
                // Bounds of the index being replaced would be wrong for the new one; deleted only now, so a build that
                // fails (bad synonyms, a repeated id, a busy index) leaves the old index whole.
                if (path is not null) File.Delete(System.IO.Path.Combine(path, TermBounds.FileName));
                writer.Commit();
            }
            catch
            {
                writer.Rollback();
                throw;
            }
            writer.Dispose();
            if (path is not null)
                File.WriteAllText(System.IO.Path.Combine(path, OptionsFileName), JsonSerializer.Serialize(opts, JsonOptions));
            return new ProductIndex(dir, analyzer, opts, path, fresh: true);
        }
        catch
        {
            analyzer.Dispose();
            dir.Dispose();
            throw;
        }
    }

    /// <summary>Opens an index built by <see cref="Build"/> on disk, with the options saved beside it.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="InvalidDataException">The directory holds no SearchRec index or its options file is broken.</exception>
    public static ProductIndex Open(string path)
    {
        Guard.NotNull(path);
        if (System.IO.File.Exists(path)) throw new DirectoryNotFoundException($"'{path}' is a file; an index is a folder made by `searchrec index`");
        if (!System.IO.Directory.Exists(path)) throw new DirectoryNotFoundException($"index directory '{path}' does not exist");
        var opts = ReadOptions(path);
        var dir = FSDirectory.Open(path);
        Analyzer? analyzer = null;
        try
        {
            analyzer = CreateAnalyzer(opts);
            return new ProductIndex(dir, analyzer, opts, path, fresh: false);
        }
        catch (Exception e)
        {
            // Whatever failed, the folder's open files go with it (a long-running service would otherwise keep them).
            analyzer?.Dispose();
            dir.Dispose();
            // A file cut short (a copy or a disk that ran out) reads as "seek past EOF"; say what to do about it.
            if (e is IndexNotFoundException or CorruptIndexException or EndOfStreamException)
                throw new InvalidDataException($"'{path}' holds a damaged or incomplete index ({e.Message}); build it again with `searchrec index`", e);
            throw;
        }
    }

    // The build options saved beside an index (InvalidDataException naming the file when missing or broken).
    private static IndexOptions ReadOptions(string path)
    {
        var optionsFile = System.IO.Path.Combine(path, OptionsFileName);
        if (!File.Exists(optionsFile)) throw new InvalidDataException($"'{path}' holds no SearchRec index ({OptionsFileName} is missing)");
        IndexOptions opts;
        try
        {
            var json = File.ReadAllText(optionsFile);
            opts = JsonSerializer.Deserialize<IndexOptions>(json)
                ?? throw new InvalidDataException($"{optionsFile}: empty options");
            // Indexes from before DocOrder were built shortest title first, those from before MergeToOneSegment were not
            // merged, and those from before FoldTraditional kept traditional characters.
            var saved = System.Text.Json.Nodes.JsonNode.Parse(json);
            if (saved?[nameof(IndexOptions.DocOrder)] is null) opts.DocOrder = DocOrder.TitleLength;
            if (saved?[nameof(IndexOptions.MergeToOneSegment)] is null) opts.MergeToOneSegment = false;
            if (saved?[nameof(IndexOptions.FoldTraditional)] is null) opts.FoldTraditional = false;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{optionsFile}: {e.Message}", e);
        }
        // Saved settings out of range (an edited file, a dictionary moved away) said "IndexOptions.K1 must be ..."
        // without naming the file they came from.
        try { opts.Validate(); }
        catch (ArgumentException e)
        {
            var message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw new InvalidDataException($"{optionsFile}: {message}", e);
        }
        return opts;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Plain BM25 per field (every distinct query term once per occurrence) combined by dis-max, evaluated by
    /// <see cref="MaxScoreEvaluator"/>: the exact top N of that query, found without scoring every posting of the
    /// common terms.
    /// </remarks>
    public IReadOnlyList<RecallCandidate> Recall(RecallRequest request)
    {
        if (Prepare(request) is not { } prepared) return [];
        request = prepared;

        var scratch = t_scratch ??= new QueryScratch();
        var q = _evaluator.Start();
        var words = request.Fields != RecallFields.Bigram ? CollectTerms(IndexFields.Title, request.Query, scratch) : 0;
        if (request.Fields == RecallFields.Bigram && LongQueryWords > 0) words = CollectTerms(IndexFields.Title, request.Query, scratch);
        if (IsLong(words)) q.CommonDf = CommonDf;
        if (request.Fields != RecallFields.Bigram && words > 0)
        {
            // Brand, category and attributes are analyzed as the title is, so the title's terms serve them too.
            var last = request.Fields == RecallFields.All ? 4 : 0;
            for (var f = 0; f <= last; f++)
            {
                if (f == 1) continue;
                for (var i = 0; i < scratch.Terms.Count; i++) q.Add(f, scratch.Terms[i], scratch.TermCounts[scratch.Terms[i]]);
            }
        }
        if (request.Fields != RecallFields.Title && CollectTerms(IndexFields.Bigram, request.Query, scratch) > 0)
        {
            for (var i = 0; i < scratch.Terms.Count; i++) q.Add(1, scratch.Terms[i], scratch.TermCounts[scratch.Terms[i]]);
        }
        return _evaluator.Run(q, request) ?? (IReadOnlyList<RecallCandidate>)[];
    }

    // The checks both evaluators start with: the request with its category read as a level, or null when nothing can match.
    private RecallRequest? Prepare(RecallRequest request)
    {
        Guard.NotNull(request);
        Guard.Positive(request.TopN);
        request = CategoryAsLevel(request);
        if (string.IsNullOrWhiteSpace(request.Query) || _reader.MaxDoc == 0) return null;
        if (request.PriceMin is { } lo && request.PriceMax is { } hi && lo > hi) return null;
        return request;
    }

    private static readonly char[] PathSeparators = ['/', '>', '|'];

    /// <summary>
    /// A category filter given as a path (<c>女装/连衣裙</c>, as results show a product's category) that no level of any
    /// product equals filters by its last level; a level that holds a separator itself is taken as it is.
    /// </summary>
    private RecallRequest CategoryAsLevel(RecallRequest r)
    {
        if (r.Category is not { } c || c.IndexOfAny(PathSeparators) < 0) return r;
        if (_reader.DocFreq(new Term(IndexFields.CategoryKey, IndexFields.Key(c))) > 0) return r;
        var levels = c.Split(PathSeparators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return levels.Length == 0 ? r : r with { Category = levels[^1] };
    }

    /// <summary>
    /// The same query as <see cref="Recall"/> run by Lucene itself (a <see cref="DisjunctionMaxQuery"/> of per-field
    /// <see cref="BooleanQuery"/>s, every posting scored): the reference the pruned evaluator is tested against.
    /// </summary>
    internal IReadOnlyList<RecallCandidate> RecallWithLucene(RecallRequest request)
    {
        if (Prepare(request) is not { } prepared) return [];
        request = prepared;

        var scratch = t_scratch ??= new QueryScratch();
        var fieldQueries = scratch.FieldQueries;
        Array.Clear(fieldQueries);
        var words = CollectTerms(IndexFields.Title, request.Query, scratch);
        var cutoff = IsLong(words) ? CommonDf : long.MaxValue;
        // A long query's products must match a rare clause (any field): a filter over those clauses.
        var rare = cutoff == long.MaxValue ? null : new BooleanQuery(disableCoord: true);
        if (request.Fields != RecallFields.Bigram && words > 0)
        {
            fieldQueries[0] = TermsQuery(IndexFields.Title, scratch);
            AddRare(rare, IndexFields.Title, scratch, cutoff);
            if (request.Fields == RecallFields.All)
            {
                fieldQueries[2] = TermsQuery(IndexFields.Brand, scratch);
                fieldQueries[3] = TermsQuery(IndexFields.Category, scratch);
                fieldQueries[4] = TermsQuery(IndexFields.Attributes, scratch);
                AddRare(rare, IndexFields.Brand, scratch, cutoff);
                AddRare(rare, IndexFields.Category, scratch, cutoff);
                AddRare(rare, IndexFields.Attributes, scratch, cutoff);
            }
        }
        if (request.Fields != RecallFields.Title && CollectTerms(IndexFields.Bigram, request.Query, scratch) > 0)
        {
            fieldQueries[1] = TermsQuery(IndexFields.Bigram, scratch);
            AddRare(rare, IndexFields.Bigram, scratch, cutoff);
        }

        // Fields combine by dis-max: the best field's score plus TieBreaker times the others' (title and bigrams hold
        // the same words, so a plain sum counts a match twice; ecom-search bm25 Recall@100 0.968 summed, 0.976 dis-max).
        Query? query = null;
        DisjunctionMaxQuery? combined = null;
        for (var f = 0; f < fieldQueries.Length; f++)
        {
            var q = fieldQueries[f];
            if (q is null) continue;
            if (query is null) { query = q; continue; }
            if (combined is null)
            {
                combined = new DisjunctionMaxQuery(Options.TieBreaker) { query };
                query = combined;
            }
            combined.Add(q);
        }
        if (query is null) return [];

        // Score, then input order: parallel indexing shuffles doc ids, and ties must not depend on that.
        // Only common terms: scored in full, as the pruned recall does.
        if (rare is not null && rare.Clauses.Count == 0) rare = null;
        var top = _searcher.Search(query, BuildFilter(request, rare), Math.Min(request.TopN, _reader.MaxDoc), ScoreThenInputOrder, doDocScores: true, doMaxScore: false);
        var hits = top.ScoreDocs;
        if (hits.Length == 0) return [];
        return Assemble(hits, fieldQueries, scratch);
    }

    /// <summary>
    /// The fewest products whose titles hold one of the words of <paramref name="text"/> as the title analyzer splits
    /// it: 0 when some word is in no title (or the text has none), else an upper bound of the products holding them
    /// all, the query the index can answer in full.
    /// </summary>
    internal long RarestWordProducts(string text)
    {
        var scratch = t_scratch ??= new QueryScratch();
        if (CollectTerms(IndexFields.Title, text, scratch) == 0) return 0;
        long fewest = long.MaxValue;
        for (var i = 0; i < scratch.Terms.Count && fewest > 0; i++)
            fewest = Math.Min(fewest, _reader.DocFreq(new Term(IndexFields.Title, scratch.Terms[i])));
        return fewest;
    }

    /// <summary>True when the index keeps each product as a binary doc value (read fast; else from stored fields).</summary>
    internal bool HasProductDocValues => _productValues;

    /// <inheritdoc />
    public Product? GetProduct(string productId)
    {
        Guard.NotNull(productId);
        var doc = FindDoc(productId);
        return doc < 0 ? null : ReadProduct(doc);
    }

    // From the product's doc value when the index has them (ProductCodec), else from its stored fields.
    private Product ReadProduct(int doc)
    {
        if (_productValues)
        {
            var leaf = _leaves[ReaderUtil.SubIndex(doc, _leaves)];
            if (leaf.AtomicReader.GetBinaryDocValues(IndexFields.ProductValue) is { } values)
            {
                var bytes = _idLookup.Value!.Product; // the thread's: ProductCodec copies what it keeps
                values.Get(doc - leaf.DocBase, bytes);
                if (bytes.Length > 0) return ProductCodec.Read(bytes.Bytes, bytes.Offset, bytes.Length);
            }
        }
        return DocumentBuilder.Read(_reader.Document(doc));
    }

    /// <inheritdoc />
    public IReadOnlyList<(string ProductId, float Score)> MoreLikeThis(string productId, int k)
    {
        Guard.NotNull(productId);
        Guard.Positive(k);
        var doc = FindDoc(productId);
        if (doc < 0) return [];
        var mlt = NewMoreLikeThis(_mltReader);
        var query = mlt.Like(doc);
        var n = Math.Min(k + 1, Math.Max(1, _reader.MaxDoc));
        if (query is BooleanQuery bq && TermsOf(bq, _sumEvaluator.Start()) is { } terms)
        {
            // The same query, pruned: a BooleanQuery of single terms over the scored fields is their summed BM25.
            var found = _sumEvaluator.Run(terms, new RecallRequest(string.Empty) { TopN = n }) ?? [];
            var kept = new List<(string, float)>(Math.Min(k, found.Count));
            foreach (var c in found)
            {
                if (c.ProductId == productId) continue;
                if (kept.Count == k) break;
                kept.Add((c.ProductId, c.Score));
            }
            return kept;
        }
        return MoreLikeThisByLucene(query, doc, k);
    }

    /// <summary>MoreLikeThis's query run by Lucene itself, every posting scored (the reference the pruned path is tested against).</summary>
    internal IReadOnlyList<(string ProductId, float Score)> MoreLikeThisByLucene(Query query, int doc, int k)
    {
        var top = _searcher.Search(query, null, Math.Min(k + 1, Math.Max(1, _reader.MaxDoc)), ScoreThenInputOrder, doDocScores: true, doMaxScore: false);
        var result = new List<(string, float)>(Math.Min(k, top.ScoreDocs.Length));
        foreach (var sd in top.ScoreDocs)
        {
            if (sd.Doc == doc) continue;
            if (result.Count == k) break;
            result.Add((ReadId(sd.Doc), sd.Score));
        }
        return result;
    }

    /// <summary>
    /// MoreLikeThis's query for <paramref name="productId"/> as Lucene would run it, and the product's doc (-1 when
    /// unknown); with <paramref name="plainReader"/>, made over the directory reader itself instead of the reader of
    /// shared term enumerators that <see cref="MoreLikeThis"/> uses (the two must be the same query).
    /// </summary>
    internal (Query? Query, int Doc) MoreLikeThisQuery(string productId, bool plainReader = false)
    {
        var doc = FindDoc(productId);
        return doc < 0 ? (null, -1) : (NewMoreLikeThis(plainReader ? _reader : _mltReader).Like(doc), doc);
    }

    // The clauses of a BooleanQuery of unboosted optional terms over the scored fields, added to s; null for any other query.
    private static MaxScoreEvaluator.Scratch? TermsOf(BooleanQuery query, MaxScoreEvaluator.Scratch s)
    {
        if (query.Boost != 1f || query.MinimumNumberShouldMatch > 0) return null;
        foreach (var c in query.Clauses)
        {
            if (c.Occur != Occur.SHOULD || c.Query is not TermQuery { Boost: 1f } tq) return null;
            var field = Array.IndexOf(IndexFields.Scored, tq.Term.Field);
            if (field < 0) return null;
            s.Add(field, tq.Term.Text, 1);
        }
        return s;
    }

    private MoreLikeThis NewMoreLikeThis(IndexReader reader) => new(reader)
    {
        Analyzer = _analyzer,
        FieldNames = [IndexFields.Title, IndexFields.Brand, IndexFields.Category],
        MinTermFreq = 1,
        MinDocFreq = 1,
        MaxQueryTerms = 25,
    };

    /// <summary>All stored products, in index order (for training data and vectors).</summary>
    public IEnumerable<Product> Products() => Products(1);

    /// <summary>
    /// Every <paramref name="every"/>-th stored product, in index order: a sample spread over the whole catalog,
    /// where the first products of an index sorted by category would all be of one category.
    /// </summary>
    public IEnumerable<Product> Products(int every)
    {
        Guard.Positive(every);
        var max = _reader.MaxDoc;
        var live = MultiFields.GetLiveDocs(_reader);
        for (var d = 0; d < max; d += every)
        {
            if (live is not null && !live.Get(d)) continue;
            yield return ReadProduct(d);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _evaluator.Dispose();
        _sumEvaluator.Dispose();
        _idLookup.Dispose();
        _mltReader.Dispose(); // closes none of the segments: they are _reader's
        _reader.Dispose();
        _analyzer.Dispose();
        _directory.Dispose();
    }

    private static Analyzer CreateAnalyzer(IndexOptions o)
    {
        var title = AnalyzerFactory.CreateTitle(o.TitleAnalyzer, o);
        var bigram = AnalyzerFactory.Create(o.BigramAnalyzer, o);
        return new PerFieldAnalyzerWrapper(title, new Dictionary<string, Analyzer> { [IndexFields.Bigram] = bigram });
    }

    /// <summary>
    /// Adds the products in <paramref name="docOrder"/> (shortest title first, or by category, brand, then title
    /// length), each keeping its input position as its ordinal: alike products then share the pruned recall's windows
    /// of doc ids, whose per-window score maxima are tighter, so more windows are skipped whole. Results do not depend
    /// on the order (ties go to the lower ordinal).
    /// </summary>
    private static void AddAll(IndexWriter writer, IEnumerable<Product> products, DocOrder docOrder, bool productDocValues, IProgress<long>? progress)
    {
        var list = products as IReadOnlyList<Product> ?? products.ToList();
        for (var i = 0; i < list.Count; i++) Validate(list[i]);
        var order = DocOrdering.Sort(list, docOrder);
        long added = 0;
        Parallel.ForEach(
            order,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) },
            () => new DocumentBuilder(productDocValues),
            (i, _, builder) =>
            {
                writer.AddDocument(builder.Fill(list[i], i));
                var n = Interlocked.Increment(ref added);
                if ((n & 8191) == 0) progress?.Report(n);
                return builder;
            },
            _ => { });
        progress?.Report(added);
    }

    /// <summary>
    /// About the title's length in the bigram field, cheaply: a run of r CJK characters gives r characters and r − 1
    /// bigrams, any other run of letters or digits one token. Only the indexing order depends on it.
    /// </summary>
    internal static int TokenEstimate(string title)
    {
        var n = 0;
        var prev = 0; // 0 other, 1 CJK, 2 letter or digit
        foreach (var c in title)
        {
            var kind = c >= '\u2E80' && !char.IsSurrogate(c) ? 1 : char.IsLetterOrDigit(c) ? 2 : 0;
            if (kind == 1) n += prev == 1 ? 2 : 1;
            else if (kind == 2 && prev != 2) n++;
            prev = kind;
        }
        return n;
    }

    private static void Validate(Product? p)
    {
        if (p is null) throw new ArgumentException("products contains a null product", "products");
        if (string.IsNullOrWhiteSpace(p.Id)) throw new ArgumentException($"product with title '{p.Title}': field 'Id' is empty", "products");
        if (string.IsNullOrWhiteSpace(p.Title)) throw new ArgumentException($"product '{p.Id}': field 'Title' is empty", "products");
        if (p.Category is null) throw new ArgumentException($"product '{p.Id}': field 'Category' is null", "products");
        if (p.Attributes is null) throw new ArgumentException($"product '{p.Id}': field 'Attributes' is null", "products");
    }

    private static void ThrowOnDuplicateId(DirectoryReader reader)
    {
        var terms = MultiFields.GetTerms(reader, IndexFields.Id);
        if (terms is null) return;
        var te = terms.GetEnumerator();
        while (te.MoveNext())
        {
            if (te.DocFreq > 1)
                throw new ArgumentException($"products: duplicate id '{te.Term.Utf8ToString()}'", "products");
        }
    }

    /// <summary>Analyzes the query for one field into distinct terms with their counts (capped at <see cref="MaxQueryTerms"/>).</summary>
    private int CollectTerms(string field, string text, QueryScratch s)
    {
        s.Terms.Clear();
        s.TermCounts.Clear();
        var ts = _analyzer.GetTokenStream(field, text);
        try
        {
            var term = ts.AddAttribute<ICharTermAttribute>();
            ts.Reset();
            while (ts.IncrementToken())
            {
                if (term.Length == 0) continue;
                var key = term.ToString();
                if (s.TermCounts.TryGetValue(key, out var c))
                {
                    s.TermCounts[key] = c + 1;
                    continue;
                }
                if (s.Terms.Count == MaxQueryTerms) continue;
                s.TermCounts[key] = 1;
                s.Terms.Add(key);
            }
            ts.End();
        }
        finally
        {
            ts.Dispose();
        }
        if (s.Terms.Count > Options.QueryTermCap) KeepRarest(field, s, Options.QueryTermCap);
        return s.Terms.Count;
    }

    /// <summary>
    /// Drops the terms no product holds (they score nothing), then keeps the <paramref name="cap"/> with the fewest
    /// products in <paramref name="field"/> (the highest IDF: they carry most of the score), in query order; ties keep
    /// the earlier term. Only long queries get here.
    /// </summary>
    private void KeepRarest(string field, QueryScratch s, int cap)
    {
        var n = s.Terms.Count;
        var keys = new long[n];
        for (var i = 0; i < n; i++)
        {
            long df = _reader.DocFreq(new Term(field, s.Terms[i]));
            keys[i] = ((df == 0 ? long.MaxValue >> 9 : df) << 8) | (uint)i;
        }
        Array.Sort(keys);
        var keep = new bool[n];
        for (var r = 0; r < cap && keys[r] >> 8 != long.MaxValue >> 9; r++) keep[(int)(keys[r] & 0xFF)] = true;
        var w = 0;
        for (var i = 0; i < n; i++)
        {
            var t = s.Terms[i];
            if (keep[i]) s.Terms[w++] = t;
            else s.TermCounts.Remove(t);
        }
        s.Terms.RemoveRange(w, n - w);
    }

    /// <summary>Whether a query of <paramref name="words"/> distinct title words gets the common-term cutoff.</summary>
    private bool IsLong(int words) => LongQueryWords > 0 && words > LongQueryWords;

    /// <summary>Products (at most) a term of a long query may hold and still be rare.</summary>
    private long CommonDf => (long)(Options.CommonTermCutoff * (double)_reader.MaxDoc);

    /// <summary>The words above which a query is long (from <see cref="IndexOptions.LongQueryWords"/>; 0: no cutoff).</summary>
    internal int LongQueryWords { get; set; }

    /// <summary>Adds the field's collected terms held by at most <paramref name="cutoff"/> products (and some) to <paramref name="rare"/>.</summary>
    private void AddRare(BooleanQuery? rare, string field, QueryScratch s, long cutoff)
    {
        if (rare is null) return;
        for (var i = 0; i < s.Terms.Count; i++)
        {
            var term = new Term(field, s.Terms[i]);
            var df = _reader.DocFreq(term);
            if (df > 0 && df <= cutoff) rare.Add(new TermQuery(term), Occur.SHOULD);
        }
    }

    /// <summary>One SHOULD clause per distinct term; a repeated query term counts as often as it appears (as in plain BM25).</summary>
    private static BooleanQuery TermsQuery(string field, QueryScratch s)
    {
        var bq = new BooleanQuery(disableCoord: true);
        for (var i = 0; i < s.Terms.Count; i++)
        {
            var t = s.Terms[i];
            var tq = new TermQuery(new Term(field, t));
            var c = s.TermCounts[t];
            if (c > 1) tq.Boost = c;
            bq.Add(tq, Occur.SHOULD);
        }
        return bq;
    }

    private static Filter? BuildFilter(RecallRequest r, Query? rare)
    {
        BooleanQuery? bq = null;
        if (rare is not null) (bq ??= new BooleanQuery()).Add(rare, Occur.MUST);
        if (!string.IsNullOrWhiteSpace(r.Category))
            (bq ??= new BooleanQuery()).Add(new TermQuery(new Term(IndexFields.CategoryKey, IndexFields.Key(r.Category))), Occur.MUST);
        if (!string.IsNullOrWhiteSpace(r.Brand))
            (bq ??= new BooleanQuery()).Add(new TermQuery(new Term(IndexFields.BrandKey, IndexFields.Key(r.Brand))), Occur.MUST);
        if (r.PriceMin is not null || r.PriceMax is not null)
            (bq ??= new BooleanQuery()).Add(NumericRangeQuery.NewDoubleRange(IndexFields.Price, r.PriceMin, r.PriceMax, true, true), Occur.MUST);
        return bq is null ? null : new QueryWrapperFilter(bq);
    }

    /// <summary>
    /// Builds the candidates: for each field with a query, one scorer per segment advanced over the hits in doc order
    /// gives that field's BM25 score (cheap: only the top N docs are visited).
    /// </summary>
    private List<RecallCandidate> Assemble(ScoreDoc[] hits, Query?[] fieldQueries, QueryScratch s)
    {
        var n = hits.Length;
        var docs = ArrayPool<int>.Shared.Rent(n);
        var order = ArrayPool<int>.Shared.Rent(n);
        var scores = ArrayPool<float>.Shared.Rent(n * 5);
        var ids = ArrayPool<string>.Shared.Rent(n);
        try
        {
            for (var i = 0; i < n; i++) { docs[i] = hits[i].Doc; order[i] = i; }
            Array.Sort(docs, order, 0, n);
            Array.Clear(scores, 0, n * 5);

            for (var f = 0; f < fieldQueries.Length; f++)
            {
                var q = fieldQueries[f];
                if (q is null) continue;
                var weight = _searcher.CreateNormalizedWeight(q);
                var leaves = new LeafCursor(_leaves);
                Scorer? scorer = null;
                for (var k = 0; k < n; k++)
                {
                    var doc = docs[k];
                    if (leaves.MoveTo(doc) is { } ctx) scorer = weight.GetScorer(ctx, null);
                    if (scorer is null) continue;
                    var local = doc - leaves.DocBase;
                    var cur = scorer.DocID;
                    if (cur < local) cur = scorer.Advance(local);
                    if (cur == local) scores[order[k] * 5 + f] = scorer.GetScore();
                }
            }

            var bytes = s.Bytes;
            {
                var leaves = new LeafCursor(_leaves);
                BinaryDocValues? values = null;
                for (var k = 0; k < n; k++)
                {
                    var doc = docs[k];
                    if (leaves.MoveTo(doc) is { } ctx) values = ctx.AtomicReader.GetBinaryDocValues(IndexFields.Id);
                    values!.Get(doc - leaves.DocBase, bytes);
                    ids[order[k]] = bytes.Utf8ToString();
                }
            }

            var result = new List<RecallCandidate>(n);
            for (var i = 0; i < n; i++)
            {
                var o = i * 5;
                result.Add(new RecallCandidate(i, ids[i], hits[i].Score,
                    new FieldScores(scores[o], scores[o + 1], scores[o + 2], scores[o + 3], scores[o + 4])));
            }
            return result;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(docs);
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<string>.Shared.Return(ids, clearArray: true);
        }
    }

    // The id's postings, segment by segment: a query through the searcher cost several microseconds more per look-up.
    private int FindDoc(string productId)
    {
        if (productId.Length == 0) return -1;
        // The calling thread's id enumerators and postings, sought again: a new terms enumerator per segment and call
        // cost about 5 KB, for each product a search reads from the index.
        var lookup = _idLookup.Value!;
        lookup.Bytes.CopyChars(productId);
        for (var l = 0; l < _leaves.Count; l++)
        {
            var leaf = _leaves[l];
            var ids = lookup.Ids[l] ??= leaf.AtomicReader.GetTerms(IndexFields.Id)?.GetEnumerator();
            if (ids is null || !ids.SeekExact(lookup.Bytes)) continue;
            var docs = lookup.Docs[l] = ids.Docs(leaf.AtomicReader.LiveDocs, lookup.Docs[l], DocsFlags.NONE); // skips deleted documents
            var d = docs.NextDoc();
            if (d != DocIdSetIterator.NO_MORE_DOCS) return leaf.DocBase + d;
        }
        return -1;
    }

    /// <summary>One thread's look-up of products: an id enumerator and postings per segment, the id's bytes and the product's.</summary>
    private sealed class IdLookup(int leaves)
    {
        public readonly TermsEnum?[] Ids = new TermsEnum?[leaves];
        public readonly DocsEnum?[] Docs = new DocsEnum?[leaves];
        public readonly BytesRef Bytes = new();
        public readonly BytesRef Product = new();
    }

    private string ReadId(int doc)
    {
        var ctx = _leaves[ReaderUtil.SubIndex(doc, _leaves)];
        var bytes = new BytesRef();
        ctx.AtomicReader.GetBinaryDocValues(IndexFields.Id).Get(doc - ctx.DocBase, bytes);
        return bytes.Utf8ToString();
    }

    /// <summary>
    /// Walks the segments alongside docs visited in ascending order, so that each pass of <see cref="Assemble"/> sets up
    /// its per-segment reader (scorer, doc values) once per segment. A struct: the query path allocates nothing for it.
    /// </summary>
    private struct LeafCursor(IList<AtomicReaderContext> leaves)
    {
        private int _leaf = -1;
        private int _leafEnd;

        /// <summary>The doc base of the segment holding the last doc moved to.</summary>
        public int DocBase { get; private set; }

        /// <summary>
        /// Moves to the segment holding <paramref name="doc"/> (no lower than the last doc moved to); returns that
        /// segment when it is a new one, null when <paramref name="doc"/> is in the current one.
        /// </summary>
        public AtomicReaderContext? MoveTo(int doc)
        {
            if (doc < _leafEnd) return null;
            AtomicReaderContext ctx;
            do
            {
                ctx = leaves[++_leaf];
                DocBase = ctx.DocBase;
                _leafEnd = DocBase + ctx.AtomicReader.MaxDoc;
            }
            while (doc >= _leafEnd);
            return ctx;
        }
    }

    /// <summary>Per-thread buffers of the query path.</summary>
    private sealed class QueryScratch
    {
        public readonly Query?[] FieldQueries = new Query?[5];
        public readonly List<string> Terms = new(MaxQueryTerms);
        public readonly Dictionary<string, int> TermCounts = new(StringComparer.Ordinal);
        public readonly BytesRef Bytes = new();
    }
}
