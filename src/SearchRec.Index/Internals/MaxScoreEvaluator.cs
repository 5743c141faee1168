using System.Runtime.ExceptionServices;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace SearchRec.Index.Internals;

/// <summary>
/// Exact top-N BM25 over Lucene's postings with MaxScore dynamic pruning (Turtle &amp; Flood 1995), in windows of
/// doc ids scored term at a time (as Lucene 9.7+'s <c>MaxScoreBulkScorer</c>). The query is a set of (field, term,
/// count) clauses; a product's field score is the sum of its matching clauses' BM25 scores (as
/// <see cref="ExactBm25Similarity"/> computes them), and fields combine by dis-max: the best field plus tie × the
/// others. Ties go to the lower input ordinal. Returns the same top N as the equivalent Lucene
/// <c>DisjunctionMaxQuery</c> of per-field <c>BooleanQuery</c>s, without scoring every posting of common terms.
/// </summary>
/// <remarks>
/// Every clause's postings in a segment are plain arrays (<see cref="ClauseList"/>: resident lists as held, short
/// ones decoded per query) with, per window of 4,096 doc ids, the clause's largest score there. A window whose
/// clause maxima cannot reach the N-th score is skipped; windows are visited best bound first. In a window, clauses
/// are sorted by their bound over the index; the longest prefix whose window maxima together stay below the N-th
/// score is "non-essential": a product matching only those cannot enter. The other ("essential") lists add their
/// scores into per-field sums for the window in tight loops, and only products whose partial score plus the
/// non-essential bounds can still reach the N-th score are completed on the non-essential lists. Dis-max of
/// per-field bound sums is a safe bound since dis-max grows with every field's score.
/// </remarks>
internal sealed class MaxScoreEvaluator : IDisposable
{
    public const int FieldCount = 5;

    /// <summary>
    /// A non-essential list is tabled for a window when it has at most this many postings there per survivor: a
    /// table write costs a few nanoseconds, a galloping search several times that.
    /// </summary>
    private const int DenseRatio = 4;

    /// <summary>Most non-essential lists tabled per window (each table is a window of floats).</summary>
    private const int MaxTables = 16;

    private const int NoMoreDocs = DocIdSetIterator.NO_MORE_DOCS;

    /// <summary>Priming skips an intersection whose rarest list is longer than this (its cost would rival the pass's).</summary>
    private const int PrimeDriverCap = 1 << 16;

    /// <summary>
    /// Priming gathers this many times N products before scoring them (3 started closer to the final N-th score at
    /// 1M, 0.72 of it against 0.5, but scoring them cost more than it saved).
    /// </summary>
    private const int PrimeFactor = 1;

    /// <summary>Most products priming scores per segment, whatever N.</summary>
    private const int PrimeMaxDocs = 1 << 14;

    private const float PrimeMargin = 0.9999f;

    /// <summary>
    /// Segments with more active clauses are not primed: scoring each gathered product costs a search per clause,
    /// and longer queries' conjunctions start far below their final N-th score (half of it at 1M, a seventh for
    /// pasted titles), so priming cost them more than it saved.
    /// </summary>
    public const int DefaultPrimeMaxClauses = 16;

    /// <summary>Most active clauses of a primed segment (<see cref="DefaultPrimeMaxClauses"/>; benchmarks vary it).</summary>
    public int PrimeMaxClauses { get; set; } = DefaultPrimeMaxClauses;

    /// <summary>Whether each segment starts from a conjunctive priming threshold (off only to compare).</summary>
    public bool Priming { get; set; } = true;

    /// <summary>Workers a segment's windows may be split between (1: the calling thread alone).</summary>
    public int Parallelism { get; set; } = 1;

    /// <summary>
    /// Cores the split may count on (the machine's). A segment is split only between as many workers as there are
    /// cores per recall now running, so under full load recalls stay on their own threads and throughput is kept.
    /// </summary>
    public int Cores { get; set; } = Environment.ProcessorCount;

    /// <summary>Recalls of this index scoring segments now.</summary>
    private int _running;

    /// <summary>
    /// Postings a segment's windows above the primed threshold must hold before they are split between workers:
    /// below it, the hand-off to a thread-pool thread costs more than the work it takes over.
    /// </summary>
    internal const int DefaultParallelMinPostings = 20_000;

    /// <summary>The split cut in use (<see cref="DefaultParallelMinPostings"/>; tests lower it to split every segment).</summary>
    public int ParallelMinPostings { get; set; } = DefaultParallelMinPostings;

    // Bounds are float sums of float products; a small relative margin keeps them above the scores they bound.
    private const float BoundMargin = 1.0001f;

    private readonly IndexReader _reader;
    private readonly IList<AtomicReaderContext> _leaves;
    private readonly FieldBm25[] _fields;
    private readonly TermBounds _bounds;
    private readonly float _tie;
    private readonly ThreadLocal<Scratch> _scratch;
    private readonly float[]?[][] _lengths;

    /// <summary>Per segment, each product's input position (read once: ties against the N-th score are common).</summary>
    private readonly int[][] _ords;

    private readonly Lock _pricesGate = new();
    private double[]? _prices;

    private readonly ResidentPostings _resident;

    public MaxScoreEvaluator(IndexReader reader, FieldBm25[] fields, TermBounds bounds, float tieBreaker, ResidentPostings resident)
    {
        _reader = reader;
        _resident = resident;
        _leaves = reader.Leaves;
        _fields = fields;
        _bounds = bounds;
        _tie = tieBreaker;
        _scratch = new ThreadLocal<Scratch>(() => new Scratch(_leaves.Count));
        // Field lengths as floats, read once: the norms' own decoding costs more per posting than the scoring.
        _lengths = new float[]?[_leaves.Count][];
        for (var l = 0; l < _leaves.Count; l++)
        {
            var ar = _leaves[l].AtomicReader;
            _lengths[l] = new float[]?[FieldCount];
            for (var f = 0; f < FieldCount; f++)
            {
                var norms = ar.GetNormValues(fields[f].Name);
                if (norms is null) continue;
                var a = new float[ar.MaxDoc];
                for (var d = 0; d < a.Length; d++) a[d] = norms.Get(d);
                _lengths[l][f] = a;
            }
        }
        _ords = new int[_leaves.Count][];
        for (var l = 0; l < _leaves.Count; l++)
        {
            var ar = _leaves[l].AtomicReader;
            var values = ar.GetNumericDocValues(IndexFields.Ordinal) ?? throw new InvalidDataException($"segment {l} has no '{IndexFields.Ordinal}' doc values");
            var a = new int[ar.MaxDoc];
            for (var d = 0; d < a.Length; d++) a[d] = checked((int)values.Get(d));
            _ords[l] = a;
        }
        for (var l = 0; l < _leaves.Count; l++)
        {
            var maxDoc = _leaves[l].AtomicReader.MaxDoc;
            for (var f = 0; f < FieldCount; f++)
            {
                foreach (var list in resident.Lists(l, f)) list.SetWindows(_lengths[l][f]!, fields[f], maxDoc);
            }
        }
    }

    private MaxScoreEvaluator(MaxScoreEvaluator other, float tieBreaker)
    {
        _reader = other._reader;
        _resident = other._resident;
        _leaves = other._leaves;
        _fields = other._fields;
        _bounds = other._bounds;
        _lengths = other._lengths;
        _ords = other._ords;
        _tie = tieBreaker;
        _scratch = new ThreadLocal<Scratch>(() => new Scratch(_leaves.Count));
    }

    /// <summary>
    /// An evaluator over the same postings, lengths and bounds that combines the fields with another tie-breaker
    /// (1: their sum, as one BooleanQuery over all fields scores); its queries and settings are its own.
    /// </summary>
    public MaxScoreEvaluator WithTieBreaker(float tieBreaker)
    {
        if (!(tieBreaker >= 0f && tieBreaker <= 1f)) throw new ArgumentOutOfRangeException(nameof(tieBreaker), tieBreaker, "The tie-breaker must be in [0, 1].");
        return new MaxScoreEvaluator(this, tieBreaker);
    }

    /// <summary>The calling thread's query under construction (cleared).</summary>
    public Scratch Start()
    {
        var s = _scratch.Value!;
        s.Clear();
        // A query that threw mid-window leaves sums behind.
        if (s.AccDirty)
        {
            Array.Clear(s.Acc);
            Array.Clear(s.Seen);
            Array.Clear(s.Table);
            s.AccDirty = false;
        }
        return s;
    }

    /// <summary>Postings read and advances made by the calling thread's last <see cref="Run"/>.</summary>
    public RecallWork LastWork => _scratch.Value!.Work;

    /// <summary>Runs the clauses added to <paramref name="s"/>; null when nothing matches.</summary>
    public List<RecallCandidate>? Run(Scratch s, RecallRequest request)
    {
        s.Work = default;
        var n = s.Count;
        if (n == 0) return null;
        var maxDoc = _reader.MaxDoc;
        var topN = Math.Min(request.TopN, maxDoc);

        var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        Lookup(s, n);

        // Weights and bounds: idf as ExactBm25Similarity computes it, times the query count of the term.
        for (var i = 0; i < n; i++)
        {
            var df = s.DocFreq[i];
            if (df == 0) { s.Weight[i] = 0f; s.Bound[i] = 0f; continue; }
            var idf = (float)Math.Log(1 + (maxDoc - df + 0.5) / (df + 0.5));
            s.Weight[i] = idf * s.Repeat[i];
            if (_bounds.TryGet(s.Field[i], s.Term[i], out var tb))
            {
                s.Bound[i] = s.Weight[i] * tb.TfNorm * BoundMargin;
                s.MaxTf[i] = tb.MaxTf;
            }
            else
            {
                s.Bound[i] = s.Weight[i] * s.RareBound[i] * BoundMargin;
                s.MaxTf[i] = s.RareMaxTf[i] > 0 ? s.RareMaxTf[i] : float.PositiveInfinity;
            }
        }

        // A cutoff needs a rare clause somewhere; a query of common terms only is scored in full.
        if (s.CommonDf != long.MaxValue)
        {
            var rare = false;
            for (var i = 0; i < n && !rare; i++) rare = s.DocFreq[i] > 0 && s.DocFreq[i] <= s.CommonDf;
            if (!rare) s.CommonDf = long.MaxValue;
        }

        var t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        s.Work.LookupTicks = t1 - t0;
        var filter = new Filter(request, this);
        s.HeapSize = 0;
        s.EnsureHeap(topN);
        s.Workers = Parallelism;
        s.Plan.Theta = float.NegativeInfinity;
        if (s.Helpers is { } helpers)
        {
            foreach (var h in helpers) h.Reset(topN);
        }
        var theta = float.NegativeInfinity;
        Interlocked.Increment(ref _running);
        try
        {
            for (var l = 0; l < _leaves.Count; l++)
            {
                if (s.Live[l] == 0) continue;
                theta = Segment(s, l, topN, theta, ref filter);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
        if (s.Helpers is { } joined)
        {
            foreach (var h in joined) h.MergeInto(s, topN);
        }
        var t2 = System.Diagnostics.Stopwatch.GetTimestamp();
        s.Work.ScoreTicks = t2 - t1;
        if (s.HeapSize == topN) s.Work.Theta = s.HScore[s.Heap[0]];
        if (s.HeapSize == 0) return null;
        var result = Collect(s);
        s.Work.CollectTicks = System.Diagnostics.Stopwatch.GetTimestamp() - t2;
        return result;
    }

    /// <summary>Pass 1: finds each clause's postings in each segment and its document frequency in the whole index.</summary>
    private void Lookup(Scratch s, int n)
    {
        for (var i = 0; i < n; i++) { s.DocFreq[i] = 0; s.RareBound[i] = 0f; s.RareMaxTf[i] = 0; }
        for (var l = 0; l < _leaves.Count; l++)
        {
            var ar = _leaves[l].AtomicReader;
            var enums = s.Enums[l];
            var chosen = s.Chosen[l];
            var resident = s.Resident[l];
            s.Live[l] = 0;
            for (var i = 0; i < n; i++)
            {
                var te = s.TermsEnum(l, ar, s.Field[i]);
                if (te is null || !te.SeekExact(s.Bytes[i])) { s.Found[l * s.Term.Length + i] = false; continue; }
                s.DocFreq[i] += te.DocFreq;
                if (te.DocFreq < TermBounds.ExactFrom)
                {
                    var sb = _bounds.StatsBound(s.Field[i], te.TotalTermFreq);
                    if (sb > s.RareBound[i]) s.RareBound[i] = sb;
                    if (te.TotalTermFreq > s.RareMaxTf[i]) s.RareMaxTf[i] = te.TotalTermFreq;
                }
                // Long lists from memory; the rest from Lucene, reusing this thread's enum.
                if (_resident.Get(l, s.Field[i], s.Term[i]) is { } list)
                    chosen[i] = (resident[i] ??= new ResidentDocsEnum()).Reset(list);
                else
                    chosen[i] = enums[i] = te.Docs(ar.LiveDocs, enums[i], DocsFlags.FREQS);
                s.Found[l * s.Term.Length + i] = true;
                s.Live[l]++;
            }
        }
    }

    /// <summary>MaxScore over one segment, window by window; returns the threshold to carry into the next.</summary>
    private float Segment(Scratch s, int leaf, int topN, float theta, ref Filter filter)
    {
        var ctx = _leaves[leaf];
        var ar = ctx.AtomicReader;
        if (!filter.Begin(s, leaf, ar, ctx.DocBase)) return theta;

        // Active clauses of this segment, sorted by bound (ascending).
        var stride = s.Term.Length;
        var m = 0;
        for (var i = 0; i < s.Count; i++)
        {
            if (!s.Found[leaf * stride + i] || s.Weight[i] == 0f) continue;
            s.SortKey[m] = s.Bound[i];
            s.Order[m] = i;
            m++;
        }
        if (m == 0) return theta;
        Array.Sort(s.SortKey, s.Order, 0, m);
        // A long query's common clauses come first and stay non-essential in every window: they only complete
        // products that a rare clause proposed (see CommonDf).
        var common = 0;
        if (s.CommonDf != long.MaxValue)
        {
            var part = s.Part;
            for (var k = 0; k < m; k++)
            {
                if (s.DocFreq[s.Order[k]] > s.CommonDf) part[common++] = s.Order[k];
            }
            // No rare clause in this segment: none of its products can be proposed.
            if (common == m) return theta;
            if (common > 0)
            {
                var r = common;
                for (var k = 0; k < m; k++)
                {
                    if (s.DocFreq[s.Order[k]] <= s.CommonDf) part[r++] = s.Order[k];
                }
                Array.Copy(part, s.Order, m);
            }
        }

        var maxDoc = ar.MaxDoc;
        var windows = ClauseList.WindowCount(maxDoc);
        s.EnsureWindows(windows);
        var enums = s.Chosen[leaf];
        var lists = s.Lists;
        var field = s.ActField;
        var weight = s.ActWeight;
        var actBound = s.ActBound;
        var maxTf = s.ActMaxTf;
        var lengths = _lengths[leaf];
        var top = s.ActTop;
        var cstamp = s.Stamp;
        var usedField = s.Plan.UsedField;
        var slotOf = s.Plan.SlotOf;
        var used = 0;
        var winField = s.WinField;
        Array.Clear(winField, 0, windows * FieldCount);
        long skipped = 0;
        for (var k = 0; k < m; k++)
        {
            var i = s.Order[k];
            var f = s.Field[i];
            field[k] = f;
            weight[k] = s.Weight[i];
            actBound[k] = s.Bound[i];
            maxTf[k] = s.MaxTf[i];
            top[k] = weight[k] * maxTf[k] * _fields[f].K1Plus1;
            cstamp[k] = -1;
            var cl = lists[k] ??= new ClauseList();
            if (enums[i] is ResidentDocsEnum r) cl.Use(r.List);
            else
            {
                cl.Decode(enums[i]!, lengths[f]!, _fields[f], maxDoc);
                s.Work.Decoded += cl.Count;
            }
            // Each window's bound: per field, the sum of its clauses' largest scores there.
            var wm = cl.WinMax;
            var w8 = weight[k];
            for (var w = 0; w < windows; w++)
            {
                var v = wm[w];
                if (v > 0f) winField[w * FieldCount + f] += w8 * v;
            }
        }
        Array.Fill(slotOf, -1);
        for (var f = 0; f < FieldCount; f++)
        {
            for (var k = 0; k < m; k++)
            {
                if (field[k] != f) continue;
                slotOf[f] = used;
                usedField[used++] = f;
                break;
            }
        }

        // Windows best bound first, so the threshold rises early and the rest are skipped once below it; in doc-id
        // order when a category or brand filter must be read forward.
        var winOrder = s.WinOrder;
        var winKey = s.WinKey;
        var live = 0;
        for (var w = 0; w < windows; w++)
        {
            var b = Bound(winField.AsSpan(w * FieldCount, FieldCount)) * BoundMargin;
            if (!(b >= theta)) { skipped++; continue; }
            winKey[live] = -b;
            winOrder[live++] = w;
        }
        if (!filter.Sequential) Array.Sort(winKey, winOrder, 0, live);

        // Conjunctive priming: products matching all (or all but one) of a field's clauses are most of the top N.
        // Their exact scores are real products' scores, so the N-th best of them is a safe starting threshold.
        // Priming's products need not match a rare clause: not with a common-term cutoff.
        if (Priming && common == 0 && m >= 2 && m <= PrimeMaxClauses && live > 0)
        {
            var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            var primed = Prime(s, leaf, m, topN, ref filter, winOrder, live);
            if (primed > theta) theta = primed;
            if (primed > s.Work.PrimeTheta) s.Work.PrimeTheta = primed;
            // The filter's category and brand postings were read forward by priming: position them again.
            if (filter.Sequential) filter.Begin(s, leaf, ar, ctx.DocBase);
            s.Work.PrimeTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
        }

        s.Work.Clauses += m;
        var plan = s.Plan;
        plan.Leaf = leaf;
        plan.M = m;
        plan.TopN = topN;
        plan.Live = live;
        plan.Used = used;
        plan.Common = common;
        if (!Parallel(s, plan, live, theta))
        {
            theta = Windows(s, s, plan, theta, ref filter, shared: false);
            s.Work.SkippedBlocks += skipped;
            return theta;
        }

        // Both cores: helpers take windows from the same cursor, each into its own heap; the threshold they share
        // is always some worker's real N-th score, so no product of the final top N is pruned.
        s.Work.ParallelSegments++;
        s.Work.SkippedBlocks += skipped;
        plan.Next = 0;
        if (theta > plan.Theta) plan.Theta = theta;
        plan.Filter = filter;
        var helpers = s.Helpers!;
        for (var h = 0; h < plan.Helpers; h++) helpers[h].Start(this, s);
        ExceptionDispatchInfo? error = null;
        try
        {
            theta = Windows(s, s, plan, theta, ref filter, shared: true);
        }
        catch (Exception e)
        {
            error = ExceptionDispatchInfo.Capture(e);
        }
        // Helpers read this thread's lists: wait for every one before leaving, even after an exception.
        for (var h = 0; h < plan.Helpers; h++)
        {
            var e = helpers[h].Join();
            error ??= e;
        }
        error?.Throw();
        var shared = Volatile.Read(ref plan.Theta);
        return shared > theta ? shared : theta;
    }

    /// <summary>
    /// Whether a segment's windows are split between workers: only with <see cref="Parallelism"/> above 1 and
    /// enough postings in the windows that can still reach <paramref name="theta"/> for the hand-off (a few
    /// microseconds) to pay.
    /// </summary>
    private bool Parallel(Scratch s, Pass plan, int live, float theta)
    {
        var workers = s.Workers;
        var running = Volatile.Read(ref _running);
        workers = Math.Min(workers, Math.Max(1, Cores / Math.Max(1, running)));
        if (workers < 2 || live < 2) return false;
        var lists = s.Lists;
        var winOrder = s.WinOrder;
        var winKey = s.WinKey;
        long estimate = 0;
        for (var o = 0; o < live && estimate < ParallelMinPostings; o++)
        {
            if (-winKey[o] < theta) continue;
            var w = winOrder[o];
            for (var k = 0; k < plan.M; k++)
            {
                var starts = lists[k]!.WinStart;
                estimate += starts[w + 1] - starts[w];
            }
        }
        if (estimate < ParallelMinPostings) return false;
        s.EnsureHelpers(workers - 1, plan.TopN);
        plan.Helpers = workers - 1;
        return true;
    }

    /// <summary>
    /// The window loop of a segment planned in <paramref name="s"/> (its clause lists, window order and bounds), run
    /// by worker <paramref name="me"/> into its own sums and heap. Alone it visits the windows in order; shared, it
    /// takes the next window from <see cref="Pass.Next"/> and raises <see cref="Pass.Theta"/> with its N-th score.
    /// </summary>
    private float Windows(Scratch me, Scratch s, Pass plan, float theta, ref Filter filter, bool shared)
    {
        var leaf = plan.Leaf;
        var m = plan.M;
        var topN = plan.TopN;
        var live = plan.Live;
        var used = plan.Used;
        var usedField = plan.UsedField;
        var slotOf = plan.SlotOf;
        var ctx = _leaves[leaf];
        var lists = s.Lists;
        var field = s.ActField;
        var weight = s.ActWeight;
        var maxTf = s.ActMaxTf;
        var top = s.ActTop;
        var winOrder = s.WinOrder;
        var winKey = s.WinKey;
        var lengths = _lengths[leaf];
        var nb = me.NeBound;
        var wb = me.WinBound;
        var cpos = me.Cur;
        var cstamp = me.Stamp;
        if (!ReferenceEquals(me, s)) Array.Fill(cstamp, -1, 0, m);
        Span<float> den = stackalloc float[FieldCount];
        long postings = 0, advances = 0, candidates = 0, scored = 0, skipped = 0;
        var ords = _ords[leaf];
        var docBase = ctx.DocBase;
        var acc = me.Acc;
        var seen = me.Seen;
        // Field sums in double: exact for these few terms whatever the order clauses are visited in, so equal
        // products get equal scores (and keep their input order) however the essential set moved meanwhile.
        Span<double> fs = stackalloc double[FieldCount];
        Span<double> rem = stackalloc double[FieldCount];
        Span<float> final = stackalloc float[FieldCount];
        var essential = 0;
        Span<double> nePf = stackalloc double[FieldCount];
        me.AccDirty = true;

        var o = -1;
        while (true)
        {
            o = shared ? Interlocked.Increment(ref plan.Next) - 1 : o + 1;
            if (o >= live) break;
            if (shared)
            {
                var t = Volatile.Read(ref plan.Theta);
                if (t > theta) theta = t;
            }
            var w = winOrder[o];
            if (-winKey[o] < theta)
            {
                // Windows come best bound first: the rest cannot reach the threshold either.
                skipped++;
                if (filter.Sequential) continue;
                if (!shared) skipped += live - o - 1;
                break;
            }
            var start = w << ClauseList.WindowShift;

            // The window's non-essential clauses: the longest prefix (in bound order) whose window maxima cannot
            // reach the threshold together.
            nePf.Clear();
            var pw = 0;
            while (pw < m)
            {
                var v = weight[pw] * (double)lists[pw]!.WinMax[w];
                var f = field[pw];
                var old = nePf[f];
                nePf[f] = old + v;
                if (!(Bound(nePf) * BoundMargin < theta)) { nePf[f] = old; break; }
                wb[pw++] = v;
            }
            while (pw < plan.Common)
            {
                var v = weight[pw] * (double)lists[pw]!.WinMax[w];
                nePf[field[pw]] += v;
                wb[pw++] = v;
            }
            if (pw == m) { skipped++; continue; }
            essential += m - pw;

            // Essential lists, term at a time: each adds its scores into the window's per-field sums.
            for (var k = pw; k < m; k++)
            {
                var cl = lists[k]!;
                if (cl.WinMax[w] == 0f) continue;
                var f = field[k];
                var from = cl.WinStart[w];
                var to = cl.WinStart[w + 1];
                cl.Accumulate(from, to, start, weight[k], _fields[f], lengths[f]!, acc, slotOf[f] << ClauseList.WindowShift, seen);
                postings += to - from;
            }

            // The window's candidates in doc order whose partial score plus the non-essential bounds can still
            // reach the threshold (and that pass the filters).
            var surv = me.Surv;
            var survFs = me.SurvFs;
            var survivors = 0;
            for (var word = 0; word < seen.Length; word++)
            {
                var bits = seen[word];
                if (bits == 0) continue;
                seen[word] = 0;
                while (bits != 0)
                {
                    var j = (word << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
                    bits &= bits - 1;
                    fs.Clear();
                    for (var u = 0; u < used; u++)
                    {
                        ref var a = ref acc[(u << ClauseList.WindowShift) + j];
                        fs[usedField[u]] = a;
                        a = 0;
                    }
                    candidates++;
                    if (Bound(fs, nePf) * BoundMargin < theta) continue;
                    if (!filter.Accept(start + j)) continue;
                    surv[survivors] = j;
                    fs.CopyTo(survFs.AsSpan(survivors * FieldCount, FieldCount));
                    survivors++;
                }
            }
            if (survivors == 0) continue;

            // Non-essential lists with few postings here for the survivors to look up: their scores go into a
            // table by doc (a write per posting) instead of a search per survivor.
            var dense = me.Dense;
            var tables = 0;
            for (var k = pw - 1; k >= 0; k--)
            {
                dense[k] = -1;
                if (wb[k] == 0 || tables == MaxTables) continue;
                var cl = lists[k]!;
                var from = cl.WinStart[w];
                var to = cl.WinStart[w + 1];
                if (to - from > survivors * DenseRatio) continue;
                var f = field[k];
                cl.Scores(from, to, start, weight[k], _fields[f], lengths[f]!, me.Table, tables << ClauseList.WindowShift);
                postings += to - from;
                dense[k] = tables++;
            }

            for (var x = 0; x < survivors; x++)
            {
                var j = surv[x];
                var d = start + j;
                survFs.AsSpan(x * FieldCount, FieldCount).CopyTo(fs);
                rem.Clear();
                if (pw > 0)
                {
                    // d's own bound on each non-essential clause: the largest frequency at d's length.
                    for (var u = 0; u < used; u++)
                    {
                        var f = usedField[u];
                        den[f] = _fields[f].Constant + _fields[f].PerLength * lengths[f]![d];
                    }
                    for (var k = 0; k < pw; k++)
                    {
                        var f = field[k];
                        double b = top[k] / (maxTf[k] + den[f]);
                        if (!(b < wb[k])) b = wb[k];
                        nb[k] = b;
                        rem[f] += b;
                    }
                    if (Bound(fs, rem) * BoundMargin < theta) continue;
                }
                scored++;

                // Non-essential clauses, largest bound first, while the candidate can still make the top N.
                var alive = true;
                for (var k = pw - 1; k >= 0; k--)
                {
                    if (nb[k] == 0) continue;
                    if (Bound(fs, rem) * BoundMargin < theta) { alive = false; break; }
                    var f = field[k];
                    if (dense[k] >= 0)
                    {
                        var v = me.Table[(dense[k] << ClauseList.WindowShift) + j];
                        if (v > 0f) fs[f] += v;
                    }
                    else
                    {
                        var cl = lists[k]!;
                        var end = cl.WinStart[w + 1];
                        var c = cstamp[k] == w ? cpos[k] : cl.WinStart[w];
                        cstamp[k] = w;
                        c = cpos[k] = cl.Seek(c, end, d);
                        advances++;
                        if (c < end && cl.Doc(c) == d) fs[f] += Score(cl.Freq(c), weight[k], _fields[f], lengths[f]!, d);
                    }
                    rem[f] -= nb[k];
                }
                if (!alive) continue;

                for (var f = 0; f < FieldCount; f++) final[f] = (float)fs[f];
                var score = Combine(final);
                if (score < theta) continue;
                long ord = ords[d];
                if (me.HeapSize == topN && !Better(score, ord, me.HScore[me.Heap[0]], me.HOrd[me.Heap[0]])) continue;
                me.Push(score, ord, docBase + d, leaf, final, topN);
                if (me.HeapSize == topN && me.HScore[me.Heap[0]] > theta)
                {
                    theta = me.HScore[me.Heap[0]];
                    if (shared) Raise(ref plan.Theta, theta);
                }
            }

            // Tables back to zero, posting by posting.
            for (var k = pw - 1; k >= 0; k--)
            {
                if (dense[k] < 0) continue;
                var cl = lists[k]!;
                cl.Unmark(cl.WinStart[w], cl.WinStart[w + 1], start, me.Table, dense[k] << ClauseList.WindowShift);
            }
        }
        me.AccDirty = false;
        me.Work.Postings += postings;
        me.Work.Advances += advances;
        me.Work.Candidates += candidates;
        me.Work.Scored += scored;
        me.Work.SkippedBlocks += skipped;
        me.Work.Essential += essential;
        return theta;
    }

    /// <summary>
    /// A starting threshold for a segment. Per field, products in the intersection of its clause lists (then of all
    /// but its most common clause, then of all but its rarest) are gathered, windows best bound first, until
    /// <see cref="PrimeFactor"/> × N are found; each is then scored exactly on every clause, and the N-th best
    /// score, nudged down against rounding, is returned: N real products score at least that, so it never exceeds
    /// the final N-th score. Negative infinity when fewer than N products are found.
    /// </summary>
    private float Prime(Scratch s, int leaf, int m, int topN, ref Filter filter, int[] winOrder, int live)
    {
        var lists = s.Lists;
        var field = s.ActField;
        var lengths = _lengths[leaf];
        var maxDoc = _leaves[leaf].AtomicReader.MaxDoc;
        var cap = (int)Math.Min((long)topN * PrimeFactor, PrimeMaxDocs);
        if (cap < topN) return float.NegativeInfinity;
        s.EnsurePrime(maxDoc, topN, m, cap);
        var idx = s.PIdx;
        var pos = s.PPos;
        var seen = s.PSeen;
        var docs = s.PDocs;
        var ndocs = 0;
        var ar = _leaves[leaf].AtomicReader;
        var docBase = _leaves[leaf].DocBase;
        for (var variant = 0; variant < 3 && ndocs < cap; variant++)
        {
            // 0: all clauses of a field; 1: all but the most common; 2: all but the rarest. Relaxed only when short.
            if (variant > 0 && ndocs >= topN) break;
            for (var f = 0; f < FieldCount && ndocs < cap; f++)
            {
                var c = 0;
                for (var k = 0; k < m; k++)
                {
                    if (field[k] != f) continue;
                    // Insertion by list length: the rarest list drives the intersection.
                    var j = c++;
                    while (j > 0 && lists[idx[j - 1]]!.Count > lists[k]!.Count) { idx[j] = idx[j - 1]; j--; }
                    idx[j] = k;
                }
                if (c < 2 || variant > 0 && c < 3) continue;
                var lo = variant == 2 ? 1 : 0;
                var hi = variant == 1 ? c - 1 : c;
                var driver = lists[idx[lo]]!;
                if (driver.Count > PrimeDriverCap) continue;
                for (var o = 0; o < live && ndocs < cap; o++)
                {
                    var w = winOrder[o];
                    var di = driver.WinStart[w];
                    var dn = driver.WinStart[w + 1];
                    if (di == dn) continue;
                    var empty = false;
                    for (var q = lo + 1; q < hi; q++)
                    {
                        var cl = lists[idx[q]]!;
                        pos[q] = cl.WinStart[w];
                        if (pos[q] == cl.WinStart[w + 1]) { empty = true; break; }
                    }
                    if (empty) continue;
                    while (di < dn && ndocs < cap)
                    {
                        var target = driver.Doc(di);
                        var q = lo + 1;
                        var done = false;
                        while (q < hi)
                        {
                            var cl = lists[idx[q]]!;
                            var end = cl.WinStart[w + 1];
                            var p = pos[q] = cl.Seek(pos[q], end, target);
                            if (p == end) { done = true; break; }
                            var d = cl.Doc(p);
                            if (d == target) { q++; continue; }
                            // Leapfrog: the driver moves to the first doc at or after the mismatch.
                            di = driver.Seek(di, dn, d);
                            if (di == dn) { done = true; break; }
                            target = driver.Doc(di);
                            q = lo + 1;
                        }
                        if (done) break;
                        ref var bits = ref seen[target >> 6];
                        var bit = 1UL << target;
                        if ((bits & bit) == 0)
                        {
                            bits |= bit;
                            docs[ndocs++] = target;
                        }
                        di++;
                    }
                }
            }
        }
        for (var i = 0; i < ndocs; i++) seen[docs[i] >> 6] = 0;
        s.Work.Primed += ndocs;
        if (ndocs < topN) return float.NegativeInfinity;

        // Exact scores, clause at a time over the products in doc order (a forward search per clause).
        Array.Sort(docs, 0, ndocs);
        var acc = s.PAcc;
        Array.Clear(acc, 0, ndocs * FieldCount);
        for (var k = 0; k < m; k++)
        {
            var cl = lists[k]!;
            var f = field[k];
            var lf = lengths[f]!;
            var fb = _fields[f];
            var wk = s.ActWeight[k];
            var cur = 0;
            var count = cl.Count;
            for (var i = 0; i < ndocs && cur < count; i++)
            {
                var d = docs[i];
                cur = cl.Seek(cur, count, d);
                if (cur < count && cl.Doc(cur) == d) acc[i * FieldCount + f] += Score(cl.Freq(cur), wk, fb, lf, d);
            }
        }
        Span<float> final = stackalloc float[FieldCount];
        s.PCount = 0;
        if (filter.Sequential && !filter.Begin(s, leaf, ar, docBase)) return float.NegativeInfinity;
        for (var i = 0; i < ndocs; i++)
        {
            if (!filter.Accept(docs[i])) continue;
            for (var f = 0; f < FieldCount; f++) final[f] = (float)acc[i * FieldCount + f];
            s.PrimePush(Combine(final), topN);
        }
        if (s.PCount < topN) return float.NegativeInfinity;
        // The main pass sums in another order: step a little below so rounding cannot lift the threshold over.
        return s.PHeap[0] * PrimeMargin;
    }

    /// <summary>A helper's share of a segment: the windows it takes from the cursor the calling thread also reads.</summary>
    internal void RunHelperFor(Scratch me, Scratch s)
    {
        // A helper that threw mid-window leaves sums behind.
        if (me.AccDirty)
        {
            Array.Clear(me.Acc);
            Array.Clear(me.Seen);
            Array.Clear(me.Table);
            me.AccDirty = false;
        }
        var plan = s.Plan;
        var filter = plan.Filter;
        // Category and brand postings are read forward: the helper reads its own (its windows come in doc-id order too).
        var ctx = _leaves[plan.Leaf];
        if (filter.Sequential && !filter.Begin(me, plan.Leaf, ctx.AtomicReader, ctx.DocBase)) return;
        Windows(me, s, plan, Volatile.Read(ref plan.Theta), ref filter, shared: true);
    }

    /// <summary>Raises the shared threshold to <paramref name="value"/> unless another worker raised it higher.</summary>
    private static void Raise(ref float target, float value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current) return;
            current = seen;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static float Score(int tf, float weight, FieldBm25 f, float[] lengths, int doc)
    {
        // The expression of ExactBm25Similarity's scorer, term for term, so scores match Lucene's to the last bit.
        float freq = tf;
        var length = lengths[doc];
        return weight * freq * f.K1Plus1 / (freq + f.Constant + f.PerLength * length);
    }

    /// <summary>
    /// A clause's bound in products at least <paramref name="length"/> long: the score its largest term frequency
    /// would give at that length (the score grows with the frequency and falls with the length), capped by the
    /// clause's bound over all products.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static double DocBound(float weight, float maxTf, float clauseBound, FieldBm25 f, float length)
    {
        var b = weight * maxTf * f.K1Plus1 / (maxTf + f.Constant + f.PerLength * length);
        return b < clauseBound ? b : clauseBound;
    }

    /// <summary>Dis-max of per-field bounds.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private double Bound(ReadOnlySpan<double> v)
    {
        var max = Math.Max(Math.Max(Math.Max(v[0], v[1]), Math.Max(v[2], v[3])), v[4]);
        return max + (v[0] + v[1] + v[2] + v[3] + v[4] - max) * _tie;
    }

    /// <summary>Dis-max of the field scores so far plus the field bounds still to come.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private double Bound(ReadOnlySpan<double> v, ReadOnlySpan<double> more)
    {
        double a = v[0] + more[0], b = v[1] + more[1], c = v[2] + more[2], d = v[3] + more[3], e = v[4] + more[4];
        var max = Math.Max(Math.Max(Math.Max(a, b), Math.Max(c, d)), e);
        return max + (a + b + c + d + e - max) * _tie;
    }

    /// <summary>
    /// Dis-max: the best field plus tie × the rest (Lucene's DisjunctionMaxScorer formula). In float for scores, as
    /// Lucene computes them; in double for field bounds, where it grows with every field and so bounds smaller scores.
    /// </summary>
    private T Combine<T>(ReadOnlySpan<T> v) where T : System.Numerics.IFloatingPoint<T>
    {
        T max = v[0], sum = v[0];
        for (var f = 1; f < v.Length; f++)
        {
            sum += v[f];
            if (v[f] > max) max = v[f];
        }
        return max + (sum - max) * T.CreateTruncating(_tie);
    }

    private static bool Better(float score, long ord, float otherScore, long otherOrd) =>
        score > otherScore || (score == otherScore && ord < otherOrd);

    private List<RecallCandidate> Collect(Scratch s)
    {
        var n = s.HeapSize;
        var slots = s.Heap;
        // Best first: score descending, then input order (a total order: no two slots share an input position). The
        // comparison is made once per thread's scratch, not per query.
        slots.AsSpan(0, n).Sort(s.SlotOrder ??= (a, b) =>
            Better(s.HScore[a], s.HOrd[a], s.HScore[b], s.HOrd[b]) ? -1 : Better(s.HScore[b], s.HOrd[b], s.HScore[a], s.HOrd[a]) ? 1 : 0);
        var result = new List<RecallCandidate>(n);
        var bytes = s.IdBytes;
        for (var r = 0; r < n; r++)
        {
            var slot = slots[r];
            var leaf = s.HLeaf[slot];
            var ctx = _leaves[leaf];
            s.Ids(leaf, ctx.AtomicReader).Get(s.HDoc[slot] - ctx.DocBase, bytes);
            var o = slot * FieldCount;
            var f = s.HFields;
            // Decoded straight from the doc value's bytes (always valid UTF-8: Lucene wrote them from the id string);
            // BytesRef.Utf8ToString went through a CharsRef and its char[] for each candidate.
            var id = System.Text.Encoding.UTF8.GetString(bytes.Bytes, bytes.Offset, bytes.Length);
            result.Add(new RecallCandidate(r, id, s.HScore[slot], new FieldScores(f[o], f[o + 1], f[o + 2], f[o + 3], f[o + 4])));
        }
        return result;
    }

    /// <summary>Every product's price by global doc id (NaN without one), read once from the price terms.</summary>
    private double[] Prices()
    {
        var prices = Volatile.Read(ref _prices);
        if (prices is not null) return prices;
        lock (_pricesGate)
        {
            if (_prices is not null) return _prices;
            prices = new double[_reader.MaxDoc];
            Array.Fill(prices, double.NaN);
            DocsEnum? docs = null;
            foreach (var ctx in _leaves)
            {
                var terms = ctx.AtomicReader.GetTerms(IndexFields.Price);
                if (terms is null) continue;
                var te = terms.GetEnumerator();
                while (te.MoveNext())
                {
                    var term = te.Term;
                    // Full-precision terms (shift 0) sort first; the rest are trie prefixes.
                    if (NumericUtils.GetPrefixCodedInt64Shift(term) != 0) break;
                    var value = NumericUtils.SortableInt64ToDouble(NumericUtils.PrefixCodedToInt64(term));
                    docs = te.Docs(ctx.AtomicReader.LiveDocs, docs, DocsFlags.NONE);
                    int d;
                    while ((d = docs.NextDoc()) != NoMoreDocs) prices[ctx.DocBase + d] = value;
                }
            }
            Volatile.Write(ref _prices, prices);
            return prices;
        }
    }

    public void Dispose() => _scratch.Dispose();

    /// <summary>Category, brand and price filters of one request, checked per candidate before it is scored.</summary>
    internal struct Filter
    {
        private readonly BytesRef? _category;
        private readonly BytesRef? _brand;
        private readonly double[]? _prices;
        private readonly double _lo;
        private readonly double _hi;
        private DocsEnum? _cat;
        private DocsEnum? _brd;
        private int _docBase;

        public Filter(RecallRequest r, MaxScoreEvaluator owner)
        {
            _category = string.IsNullOrWhiteSpace(r.Category) ? null : new BytesRef(IndexFields.Key(r.Category));
            _brand = string.IsNullOrWhiteSpace(r.Brand) ? null : new BytesRef(IndexFields.Key(r.Brand));
            if (r.PriceMin is not null || r.PriceMax is not null)
            {
                _prices = owner.Prices();
                _lo = r.PriceMin ?? double.NegativeInfinity;
                _hi = r.PriceMax ?? double.PositiveInfinity;
            }
        }

        /// <summary>Positions the filters on a segment; false when no product there can pass.</summary>
        /// <summary>Whether candidates must come in doc-id order (category and brand postings are read forward).</summary>
        public readonly bool Sequential => _category is not null || _brand is not null;

        public bool Begin(Scratch s, int leaf, AtomicReader ar, int docBase)
        {
            _docBase = docBase;
            _cat = _brd = null;
            if (_category is not null && (_cat = s.KeyDocs(leaf, ar, 0, _category)) is null) return false;
            if (_brand is not null && (_brd = s.KeyDocs(leaf, ar, 1, _brand)) is null) return false;
            return true;
        }

        public bool Accept(int doc)
        {
            if (_cat is not null)
            {
                var c = _cat.DocID;
                if (c < doc) c = _cat.Advance(doc);
                if (c != doc) return false;
            }
            if (_brd is not null)
            {
                var c = _brd.DocID;
                if (c < doc) c = _brd.Advance(doc);
                if (c != doc) return false;
            }
            if (_prices is not null)
            {
                var price = _prices[_docBase + doc];
                if (!(price >= _lo && price <= _hi)) return false;
            }
            return true;
        }
    }

    /// <summary>Per-thread buffers: the query's clauses, pooled postings enums and per-segment readers, the top-N heap.</summary>
    internal sealed class Scratch
    {
        private readonly TermsEnum?[][] _termsEnums;
        private readonly TermsEnum?[][] _keyEnums;
        private readonly DocsEnum?[][] _keyDocs;
        private readonly BinaryDocValues?[] _ids;

        public Scratch(int leaves)
        {
            _termsEnums = new TermsEnum?[leaves][];
            _keyEnums = new TermsEnum?[leaves][];
            _keyDocs = new DocsEnum?[leaves][];
            _ids = new BinaryDocValues?[leaves];
            Enums = new DocsEnum?[leaves][];
            Chosen = new DocsEnum?[leaves][];
            Resident = new ResidentDocsEnum?[leaves][];
            Live = new int[leaves];
            for (var l = 0; l < leaves; l++)
            {
                _termsEnums[l] = new TermsEnum?[FieldCount];
                _keyEnums[l] = new TermsEnum?[2];
                _keyDocs[l] = new DocsEnum?[2];
                Enums[l] = new DocsEnum?[16];
                Chosen[l] = new DocsEnum?[16];
                Resident[l] = new ResidentDocsEnum?[16];
            }
            Found = new bool[leaves * 16];
            Grow(16);
        }

        public int Count;

        /// <summary>
        /// Clauses with more products than this in the index are common: they only add to products some rarer clause
        /// matches (a long query's cutoff, as Lucene's CommonTermsQuery). <see cref="long.MaxValue"/>: none (exact).
        /// </summary>
        public long CommonDf = long.MaxValue;
        public int[] Part = [];
        public int[] Field = [];
        public string[] Term = [];
        public BytesRef[] Bytes = [];
        public int[] Repeat = [];
        public long[] DocFreq = [];
        public float[] RareBound = [];
        public long[] RareMaxTf = [];
        public float[] MaxTf = [];
        public float[] Weight = [];
        public float[] Bound = [];
        public bool[] Found;
        public readonly DocsEnum?[][] Enums;

        /// <summary>Per segment and clause: the enum this query reads (a resident one or Lucene's).</summary>
        public readonly DocsEnum?[][] Chosen;
        public readonly ResidentDocsEnum?[][] Resident;
        public readonly int[] Live;

        // Per segment, in bound order.
        public int[] Order = [];
        public float[] SortKey = [];
        public int[] Cur = [];
        public int[] Stamp = [];
        public ClauseList?[] Lists = [];
        public int[] ActField = [];
        public float[] ActWeight = [];
        public float[] ActBound = [];
        public float[] ActMaxTf = [];
        public float[] ActTop = [];
        public double[] NeBound = [];
        public double[] WinBound = [];

        /// <summary>Per used field, the window's score sums (zeroed as candidates are read), and which docs have one.</summary>
        public readonly double[] Acc = new double[FieldCount * ClauseList.Window];
        public readonly ulong[] Seen = new ulong[ClauseList.Window / 64];

        /// <summary>Set while a segment's windows are being scored; still set after an exception.</summary>
        public bool AccDirty;

        /// <summary>A window's surviving candidates (offsets in the window) and their partial field sums.</summary>
        public readonly int[] Surv = new int[ClauseList.Window];
        public readonly double[] SurvFs = new double[ClauseList.Window * FieldCount];

        /// <summary>Per clause, its score table in <see cref="Table"/> for the window, or -1.</summary>
        public int[] Dense = [];
        public readonly float[] Table = new float[MaxTables * ClauseList.Window];

        // Per window of the segment: per-field bound sums, and the visiting order.
        public double[] WinField = [];
        public double[] WinKey = [];
        public int[] WinOrder = [];

        public void EnsureWindows(int windows)
        {
            if (WinOrder.Length >= windows) return;
            WinField = new double[windows * FieldCount];
            WinKey = new double[windows];
            WinOrder = new int[windows];
        }

        // Priming: clause positions per field, products seen (bits by doc id, and the list to clear them), and a
        // min-heap of the best N lower bounds.
        public int[] PIdx = [];
        public int[] PPos = [];
        public ulong[] PSeen = [];
        public int[] PDocs = [];
        public double[] PAcc = [];
        public float[] PHeap = [];
        public int PCount;

        public void EnsurePrime(int maxDoc, int topN, int clauses, int docs)
        {
            if (PDocs.Length < docs)
            {
                PDocs = new int[docs];
                PAcc = new double[docs * FieldCount];
            }
            if (PSeen.Length < (maxDoc + 63) >> 6) PSeen = new ulong[(maxDoc + 63) >> 6];
            if (PHeap.Length < topN) PHeap = new float[topN];
            if (PIdx.Length < clauses)
            {
                PIdx = new int[clauses];
                PPos = new int[clauses];
            }
        }

        /// <summary>Keeps <paramref name="v"/> if it is among the best <paramref name="topN"/> lower bounds so far.</summary>
        public void PrimePush(float v, int topN)
        {
            var h = PHeap;
            int i;
            if (PCount < topN)
            {
                i = PCount++;
                while (i > 0)
                {
                    var parent = (i - 1) >> 1;
                    if (h[parent] <= v) break;
                    h[i] = h[parent];
                    i = parent;
                }
                h[i] = v;
                return;
            }
            if (v <= h[0]) return;
            var n = PCount;
            i = 0;
            while (true)
            {
                var c = 2 * i + 1;
                if (c >= n) break;
                if (c + 1 < n && h[c + 1] < h[c]) c++;
                if (h[c] >= v) break;
                h[i] = h[c];
                i = c;
            }
            h[i] = v;
        }

        // Top-N min-heap of slots; the worst kept product is at Heap[0].
        public int[] Heap = [];
        public int HeapSize;
        public float[] HScore = [];
        public long[] HOrd = [];
        public int[] HDoc = [];
        public int[] HLeaf = [];
        public float[] HFields = [];

        public readonly BytesRef IdBytes = new();
        public Comparison<int>? SlotOrder;
        public RecallWork Work;

        public void Clear()
        {
            Count = 0;
            CommonDf = long.MaxValue;
        }

        /// <summary>The segment being scored, as every worker of it reads it.</summary>
        public readonly Pass Plan = new();

        /// <summary>Workers this query may use (<see cref="Parallelism"/> when it started).</summary>
        public int Workers = 1;

        /// <summary>This thread's helpers (created on the first query that splits a segment), or null.</summary>
        public Helper[]? Helpers;

        public void EnsureHelpers(int count, int topN)
        {
            if (Helpers is not null && Helpers.Length >= count) return;
            var old = Helpers ?? [];
            var next = new Helper[count];
            Array.Copy(old, next, old.Length);
            for (var h = old.Length; h < count; h++)
            {
                next[h] = new Helper(new Scratch(Live.Length));
                next[h].Reset(topN);
            }
            Helpers = next;
        }

        /// <summary>Makes the per-clause buffers hold at least <paramref name="size"/> clauses.</summary>
        public void Reserve(int size)
        {
            if (Term.Length < size) Grow(size);
        }

        /// <summary>Adds a clause: <paramref name="term"/> in scored field <paramref name="field"/>, <paramref name="count"/> times in the query.</summary>
        public void Add(int field, string term, int count)
        {
            if (Count == Term.Length) Grow(Term.Length * 2);
            Field[Count] = field;
            Term[Count] = term;
            Bytes[Count].CopyChars(term);
            Repeat[Count] = count;
            Count++;
        }

        private void Grow(int size)
        {
            var old = Term.Length;
            Array.Resize(ref Field, size);
            Array.Resize(ref Term, size);
            Array.Resize(ref Bytes, size);
            for (var i = old; i < size; i++) Bytes[i] = new BytesRef();
            Array.Resize(ref Repeat, size);
            Array.Resize(ref DocFreq, size);
            Array.Resize(ref RareBound, size);
            Array.Resize(ref Weight, size);
            Array.Resize(ref Bound, size);
            Array.Resize(ref Order, size);
            Array.Resize(ref Part, size);
            Array.Resize(ref SortKey, size);
            Array.Resize(ref Cur, size);
            Array.Resize(ref Stamp, size);
            Array.Resize(ref Dense, size);
            Array.Resize(ref Lists, size);
            Array.Resize(ref ActField, size);
            Array.Resize(ref ActWeight, size);
            Array.Resize(ref ActBound, size);
            Array.Resize(ref WinBound, size);
            Array.Resize(ref ActMaxTf, size);
            Array.Resize(ref ActTop, size);
            Array.Resize(ref NeBound, size);
            Array.Resize(ref RareMaxTf, size);
            Array.Resize(ref MaxTf, size);
            Found = new bool[Live.Length * size];
            for (var l = 0; l < Enums.Length; l++)
            {
                if (Enums[l].Length < size) Array.Resize(ref Enums[l], size);
                if (Chosen[l].Length < size) Array.Resize(ref Chosen[l], size);
                if (Resident[l].Length < size) Array.Resize(ref Resident[l], size);
            }
        }

        public TermsEnum? TermsEnum(int leaf, AtomicReader ar, int field)
        {
            var te = _termsEnums[leaf][field];
            if (te is not null) return te;
            var terms = ar.GetTerms(IndexFields.Scored[field]);
            return terms is null ? null : _termsEnums[leaf][field] = terms.GetEnumerator();
        }

        /// <summary>The products of a segment holding an exact category (0) or brand (1) key, or null for none.</summary>
        public DocsEnum? KeyDocs(int leaf, AtomicReader ar, int which, BytesRef key)
        {
            var te = _keyEnums[leaf][which];
            if (te is null)
            {
                var terms = ar.GetTerms(which == 0 ? IndexFields.CategoryKey : IndexFields.BrandKey);
                if (terms is null) return null;
                te = _keyEnums[leaf][which] = terms.GetEnumerator();
            }
            if (!te.SeekExact(key)) return null;
            return _keyDocs[leaf][which] = te.Docs(ar.LiveDocs, _keyDocs[leaf][which], DocsFlags.NONE);
        }


        public BinaryDocValues Ids(int leaf, AtomicReader ar) =>
            _ids[leaf] ??= ar.GetBinaryDocValues(IndexFields.Id) ?? throw new InvalidDataException($"segment {leaf} has no '{IndexFields.Id}' doc values");

        public void EnsureHeap(int n)
        {
            if (HScore.Length >= n) return;
            Heap = new int[n];
            HScore = new float[n];
            HOrd = new long[n];
            HDoc = new int[n];
            HLeaf = new int[n];
            HFields = new float[n * FieldCount];
        }

        /// <summary>Adds a product, replacing the worst one when the heap holds <paramref name="topN"/>.</summary>
        public void Push(float score, long ord, int doc, int leaf, ReadOnlySpan<float> fields, int topN)
        {
            int slot;
            if (HeapSize < topN)
            {
                slot = HeapSize;
                Heap[HeapSize] = slot;
                HeapSize++;
                Set(slot, score, ord, doc, leaf, fields);
                Up(HeapSize - 1);
                return;
            }
            slot = Heap[0];
            Set(slot, score, ord, doc, leaf, fields);
            Down(0);
        }

        private void Set(int slot, float score, long ord, int doc, int leaf, ReadOnlySpan<float> fields)
        {
            HScore[slot] = score;
            HOrd[slot] = ord;
            HDoc[slot] = doc;
            HLeaf[slot] = leaf;
            fields.CopyTo(HFields.AsSpan(slot * FieldCount, FieldCount));
        }

        // "Less" is worse: lower score, or the same score and a later input position.
        private bool Worse(int a, int b) => HScore[a] < HScore[b] || (HScore[a] == HScore[b] && HOrd[a] > HOrd[b]);

        private void Up(int i)
        {
            var h = Heap;
            var x = h[i];
            while (i > 0)
            {
                var parent = (i - 1) >> 1;
                if (!Worse(x, h[parent])) break;
                h[i] = h[parent];
                i = parent;
            }
            h[i] = x;
        }

        private void Down(int i)
        {
            var h = Heap;
            var n = HeapSize;
            var x = h[i];
            while (true)
            {
                var c = 2 * i + 1;
                if (c >= n) break;
                if (c + 1 < n && Worse(h[c + 1], h[c])) c++;
                if (!Worse(h[c], x)) break;
                h[i] = h[c];
                i = c;
            }
            h[i] = x;
        }
    }
}

/// <summary>One segment's plan as every worker reads it, the window cursor they share, and their common threshold.</summary>
internal sealed class Pass
{
    public int Leaf, M, TopN, Live, Used;

    /// <summary>The segment's common clauses under a long query's cutoff (first in clause order), or 0.</summary>
    public int Common;

    /// <summary>Helpers working on this segment besides the calling thread.</summary>
    public int Helpers;
    public readonly int[] UsedField = new int[MaxScoreEvaluator.FieldCount];
    public readonly int[] SlotOf = new int[MaxScoreEvaluator.FieldCount];

    /// <summary>The next window (index into the visiting order) a worker takes.</summary>
    public int Next;

    /// <summary>The highest N-th score of any worker's heap so far (or the primed threshold): safe for all to prune with.</summary>
    public float Theta;

    public MaxScoreEvaluator.Filter Filter;
}

/// <summary>
/// A second worker for one calling thread: its own window sums and top-N heap, run as a thread-pool work item (no
/// allocation per query). A query that finishes its windows before the helper starts cancels it instead of waiting.
/// </summary>
internal sealed class Helper : IThreadPoolWorkItem
{
    private const int Idle = 0, Queued = 1, Running = 2, Done = 3, Cancelled = 4;

    private readonly ManualResetEventSlim _done = new(false);
    private int _state = Idle;
    private MaxScoreEvaluator? _owner;
    private MaxScoreEvaluator.Scratch? _plan;
    private ExceptionDispatchInfo? _error;

    public Helper(MaxScoreEvaluator.Scratch me) => Me = me;

    /// <summary>The helper's own buffers and heap.</summary>
    public MaxScoreEvaluator.Scratch Me { get; }

    /// <summary>Whether it scored windows in the current query.</summary>
    public bool Took { get; private set; }

    public void Reset(int topN)
    {
        Took = false;
        Me.HeapSize = 0;
        Me.EnsureHeap(topN);
        Me.Work = default;
    }

    /// <summary>Queues the helper on the segment planned in <paramref name="s"/>.</summary>
    public void Start(MaxScoreEvaluator owner, MaxScoreEvaluator.Scratch s)
    {
        _owner = owner;
        _plan = s;
        _error = null;
        Me.Reserve(s.Term.Length);
        _done.Reset();
        Volatile.Write(ref _state, Queued);
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    public void Execute()
    {
        // A run queued for an earlier segment that was cancelled finds nothing to do (or takes the current one).
        if (Interlocked.CompareExchange(ref _state, Running, Queued) != Queued) return;
        var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            _owner!.RunHelperFor(Me, _plan!);
        }
        catch (Exception e)
        {
            _error = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            Took = true;
            Me.Work.HelperTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
            Volatile.Write(ref _state, Done);
            _done.Set();
        }
    }

    /// <summary>Waits for the helper's share (or cancels it if it has not started); its exception, if it threw.</summary>
    public ExceptionDispatchInfo? Join()
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued) return null;
        _done.Wait();
        return _error;
    }

    /// <summary>Adds the helper's kept products and work to the calling thread's heap and counters.</summary>
    public void MergeInto(MaxScoreEvaluator.Scratch s, int topN)
    {
        if (!Took) return;
        var me = Me;
        for (var i = 0; i < me.HeapSize; i++)
        {
            var slot = me.Heap[i];
            var score = me.HScore[slot];
            var ord = me.HOrd[slot];
            if (s.HeapSize == topN && !(score > s.HScore[s.Heap[0]] || (score == s.HScore[s.Heap[0]] && ord < s.HOrd[s.Heap[0]]))) continue;
            s.Push(score, ord, me.HDoc[slot], me.HLeaf[slot], me.HFields.AsSpan(slot * MaxScoreEvaluator.FieldCount, MaxScoreEvaluator.FieldCount), topN);
        }
        ref var w = ref s.Work;
        w.Postings += me.Work.Postings;
        w.Advances += me.Work.Advances;
        w.Candidates += me.Work.Candidates;
        w.Scored += me.Work.Scored;
        w.SkippedBlocks += me.Work.SkippedBlocks;
        w.Essential += me.Work.Essential;
        w.HelperTicks += me.Work.HelperTicks;
        Took = false;
    }
}

/// <summary>Work done by one recall: postings scored from the lists that drive candidates, and skips into the others.</summary>
internal struct RecallWork
{
    public long Postings;
    public long Advances;

    /// <summary>Postings of short (non-resident) lists decoded from Lucene into arrays before scoring.</summary>
    public long Decoded;

    /// <summary>Documents the essential lists proposed, those whose bound let them be scored, and per segment the clauses and essential ones at the end (summed).</summary>
    public long Candidates, Scored, Clauses, Essential, SkippedBlocks;

    /// <summary>Stopwatch ticks spent finding the terms' postings, scoring, and building the result.</summary>
    public long LookupTicks, ScoreTicks, CollectTicks;

    /// <summary>Stopwatch ticks spent priming (inside <see cref="ScoreTicks"/>), products it looked at, and the best threshold it gave a segment.</summary>
    public long PrimeTicks, Primed;
    public float PrimeTheta;

    /// <summary>Segments whose windows were split between workers, and stopwatch ticks helpers spent on them.</summary>
    public long ParallelSegments, HelperTicks;

    /// <summary>The N-th score at the end (0 when fewer than N matched).</summary>
    public float Theta;
}
