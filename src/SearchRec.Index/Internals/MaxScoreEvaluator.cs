using System.Numerics.Tensors;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace SearchRec.Index.Internals;

/// <summary>
/// Exact top-N BM25 over Lucene's postings with MaxScore dynamic pruning (Turtle &amp; Flood 1995), document at a time.
/// The query is a set of (field, term, count) clauses; a product's field score is the sum of its matching clauses'
/// BM25 scores (as <see cref="ExactBm25Similarity"/> computes them), and fields combine by dis-max: the best field plus
/// tie × the others. Ties go to the lower input ordinal. Returns the same top N as the equivalent Lucene
/// <c>DisjunctionMaxQuery</c> of per-field <c>BooleanQuery</c>s, without scoring every posting of common terms.
/// </summary>
/// <remarks>
/// Clauses are sorted by their score bound (<see cref="TermBounds"/>). Once N products are held, the smallest prefix
/// of clauses whose combined bound is below the N-th score is "non-essential": a product matching only those cannot
/// enter, so only the other ("essential") lists produce candidates; non-essential lists are advanced to a candidate
/// only while its partial score plus the remaining bounds can still reach the N-th score. Dis-max of per-field bound
/// sums is a safe bound since dis-max grows with every field's score.
/// </remarks>
internal sealed class MaxScoreEvaluator : IDisposable
{
    public const int FieldCount = 5;
    private const int NoMoreDocs = DocIdSetIterator.NO_MORE_DOCS;

    // Bounds are float sums of float products; a small relative margin keeps them above the scores they bound.
    private const float BoundMargin = 1.0001f;

    private readonly IndexReader _reader;
    private readonly IList<AtomicReaderContext> _leaves;
    private readonly FieldBm25[] _fields;
    private readonly TermBounds _bounds;
    private readonly float _tie;
    private readonly ThreadLocal<Scratch> _scratch;
    private readonly Lock _pricesGate = new();
    private double[]? _prices;

    public MaxScoreEvaluator(IndexReader reader, FieldBm25[] fields, TermBounds bounds, float tieBreaker)
    {
        _reader = reader;
        _leaves = reader.Leaves;
        _fields = fields;
        _bounds = bounds;
        _tie = tieBreaker;
        _scratch = new ThreadLocal<Scratch>(() => new Scratch(_leaves.Count));
    }

    /// <summary>The calling thread's query under construction (cleared).</summary>
    public Scratch Start()
    {
        var s = _scratch.Value!;
        s.Clear();
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

        // Pass 1: find each clause's postings in each segment and its document frequency in the whole index.
        for (var i = 0; i < n; i++) { s.DocFreq[i] = 0; s.RareBound[i] = 0f; }
        for (var l = 0; l < _leaves.Count; l++)
        {
            var ar = _leaves[l].AtomicReader;
            var enums = s.Enums[l];
            if (enums.Length < s.Term.Length) Array.Resize(ref s.Enums[l], s.Term.Length);
            enums = s.Enums[l];
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
                }
                enums[i] = te.Docs(ar.LiveDocs, enums[i], DocsFlags.FREQS);
                s.Found[l * s.Term.Length + i] = true;
                s.Live[l]++;
            }
        }

        // Weights and bounds: idf as ExactBm25Similarity computes it, times the query count of the term.
        for (var i = 0; i < n; i++)
        {
            var df = s.DocFreq[i];
            if (df == 0) { s.Weight[i] = 0f; s.Bound[i] = 0f; continue; }
            var idf = (float)Math.Log(1 + (maxDoc - df + 0.5) / (df + 0.5));
            s.Weight[i] = idf * s.Repeat[i];
            var tfn = _bounds.Get(s.Field[i], s.Term[i]);
            if (float.IsNaN(tfn)) tfn = s.RareBound[i];
            s.Bound[i] = s.Weight[i] * tfn * BoundMargin;
        }

        var filter = new Filter(request, this);
        s.HeapSize = 0;
        s.EnsureHeap(topN);
        var theta = float.NegativeInfinity;
        for (var l = 0; l < _leaves.Count; l++)
        {
            if (s.Live[l] == 0) continue;
            theta = Segment(s, l, topN, theta, ref filter);
        }
        if (s.HeapSize == 0) return null;
        return Collect(s);
    }

    /// <summary>MaxScore over one segment; returns the threshold to carry into the next.</summary>
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

        var enums = s.Enums[leaf];
        var cur = s.Cur;
        var act = s.Act;
        var field = s.ActField;
        var weight = s.ActWeight;
        var norms = s.LeafNorms(leaf, ar, _fields);
        var pf = s.PrefixField;
        var pb = s.PrefixBound;
        Array.Clear(pf, 0, FieldCount);
        pb[0] = 0;
        for (var k = 0; k < m; k++)
        {
            var i = s.Order[k];
            act[k] = enums[i]!;
            field[k] = s.Field[i];
            weight[k] = s.Weight[i];
            Array.Copy(pf, k * FieldCount, pf, (k + 1) * FieldCount, FieldCount);
            pf[(k + 1) * FieldCount + field[k]] += s.Bound[i];
            pb[k + 1] = Combine(pf.AsSpan((k + 1) * FieldCount, FieldCount));
            cur[k] = act[k].NextDoc();
        }
        s.Work.Postings += m;

        var ords = s.Ordinals(leaf, ar);
        var docBase = ctx.DocBase;
        // Field sums in double: exact for these few terms whatever the order clauses are visited in, so equal
        // products get equal scores (and keep their input order) however the essential set moved meanwhile.
        Span<double> fs = stackalloc double[FieldCount];
        Span<double> bound = stackalloc double[FieldCount];
        Span<float> final = stackalloc float[FieldCount];
        var p = 0;
        while (p < m && pb[p + 1] < theta) p++;
        long postings = 0, advances = 0;

        while (p < m)
        {
            var d = m - p == 1 ? cur[p] : TensorPrimitives.Min<int>(cur.AsSpan(p, m - p));
            if (d == NoMoreDocs) break;
            var ok = filter.Accept(d);
            fs.Clear();
            for (var k = p; k < m; k++)
            {
                if (cur[k] != d) continue;
                if (ok) fs[field[k]] += Score(act[k], weight[k], _fields[field[k]], norms[field[k]]!, d);
                cur[k] = act[k].NextDoc();
                postings++;
            }
            if (!ok) continue;

            // Non-essential clauses, largest bound first, while the candidate can still make the top N.
            var alive = true;
            for (var k = p - 1; k >= 0; k--)
            {
                var row = pf.AsSpan((k + 1) * FieldCount, FieldCount);
                for (var f = 0; f < FieldCount; f++) bound[f] = fs[f] + row[f];
                if (Combine(bound) < theta) { alive = false; break; }
                var c = cur[k];
                if (c < d) { c = cur[k] = act[k].Advance(d); advances++; }
                if (c == d) fs[field[k]] += Score(act[k], weight[k], _fields[field[k]], norms[field[k]]!, d);
            }
            if (!alive) continue;

            for (var f = 0; f < FieldCount; f++) final[f] = (float)fs[f];
            var score = Combine(final);
            if (score < theta) continue;
            var ord = ords.Get(d);
            if (s.HeapSize == topN && !Better(score, ord, s.HScore[s.Heap[0]], s.HOrd[s.Heap[0]])) continue;
            s.Push(score, ord, docBase + d, leaf, final, topN);
            if (s.HeapSize == topN)
            {
                theta = s.HScore[s.Heap[0]];
                while (p < m && pb[p + 1] < theta) p++;
            }
        }
        s.Work.Postings += postings;
        s.Work.Advances += advances;
        return theta;
    }

    private static float Score(DocsEnum docs, float weight, FieldBm25 f, NumericDocValues norms, int doc)
    {
        // The expression of ExactBm25Similarity's scorer, term for term, so scores match Lucene's to the last bit.
        float freq = docs.Freq;
        float length = norms.Get(doc);
        return weight * freq * f.K1Plus1 / (freq + f.Constant + f.PerLength * length);
    }

    /// <summary>Dis-max: the best field plus tie × the rest (Lucene's DisjunctionMaxScorer formula).</summary>
    private float Combine(ReadOnlySpan<float> v)
    {
        float max = v[0], sum = v[0];
        for (var f = 1; f < v.Length; f++)
        {
            sum += v[f];
            if (v[f] > max) max = v[f];
        }
        return max + (sum - max) * _tie;
    }

    /// <summary>Dis-max of field bounds: it grows with every field, so it bounds the dis-max of smaller scores.</summary>
    private double Combine(ReadOnlySpan<double> v)
    {
        double max = v[0], sum = v[0];
        for (var f = 1; f < v.Length; f++)
        {
            sum += v[f];
            if (v[f] > max) max = v[f];
        }
        return max + (sum - max) * _tie;
    }

    private static bool Better(float score, long ord, float otherScore, long otherOrd) =>
        score > otherScore || (score == otherScore && ord < otherOrd);

    private List<RecallCandidate> Collect(Scratch s)
    {
        var n = s.HeapSize;
        var slots = s.Heap;
        // Best first: score descending, then input order.
        Array.Sort(slots, 0, n, Comparer<int>.Create((a, b) =>
            Better(s.HScore[a], s.HOrd[a], s.HScore[b], s.HOrd[b]) ? -1 : Better(s.HScore[b], s.HOrd[b], s.HScore[a], s.HOrd[a]) ? 1 : 0));
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
            result.Add(new RecallCandidate(r, bytes.Utf8ToString(), s.HScore[slot], new FieldScores(f[o], f[o + 1], f[o + 2], f[o + 3], f[o + 4])));
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
    private struct Filter
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
        private readonly NumericDocValues?[][] _norms;
        private readonly NumericDocValues?[] _ords;
        private readonly BinaryDocValues?[] _ids;

        public Scratch(int leaves)
        {
            _termsEnums = new TermsEnum?[leaves][];
            _keyEnums = new TermsEnum?[leaves][];
            _keyDocs = new DocsEnum?[leaves][];
            _norms = new NumericDocValues?[leaves][];
            _ords = new NumericDocValues?[leaves];
            _ids = new BinaryDocValues?[leaves];
            Enums = new DocsEnum?[leaves][];
            Live = new int[leaves];
            for (var l = 0; l < leaves; l++)
            {
                _termsEnums[l] = new TermsEnum?[FieldCount];
                _keyEnums[l] = new TermsEnum?[2];
                _keyDocs[l] = new DocsEnum?[2];
                Enums[l] = new DocsEnum?[16];
            }
            Found = new bool[leaves * 16];
            Grow(16);
        }

        public int Count;
        public int[] Field = [];
        public string[] Term = [];
        public BytesRef[] Bytes = [];
        public int[] Repeat = [];
        public long[] DocFreq = [];
        public float[] RareBound = [];
        public float[] Weight = [];
        public float[] Bound = [];
        public bool[] Found;
        public readonly DocsEnum?[][] Enums;
        public readonly int[] Live;

        // Per segment, in bound order.
        public int[] Order = [];
        public float[] SortKey = [];
        public int[] Cur = [];
        public DocsEnum[] Act = [];
        public int[] ActField = [];
        public float[] ActWeight = [];
        public double[] PrefixField = [];
        public double[] PrefixBound = [];

        // Top-N min-heap of slots; the worst kept product is at Heap[0].
        public int[] Heap = [];
        public int HeapSize;
        public float[] HScore = [];
        public long[] HOrd = [];
        public int[] HDoc = [];
        public int[] HLeaf = [];
        public float[] HFields = [];

        public readonly BytesRef IdBytes = new();
        public RecallWork Work;

        public void Clear() => Count = 0;

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
            Array.Resize(ref SortKey, size);
            Array.Resize(ref Cur, size);
            Array.Resize(ref Act, size);
            Array.Resize(ref ActField, size);
            Array.Resize(ref ActWeight, size);
            Array.Resize(ref PrefixBound, size + 1);
            Array.Resize(ref PrefixField, (size + 1) * FieldCount);
            Found = new bool[Live.Length * size];
            for (var l = 0; l < Enums.Length; l++)
                if (Enums[l].Length < size) Array.Resize(ref Enums[l], size);
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

        public NumericDocValues?[] LeafNorms(int leaf, AtomicReader ar, FieldBm25[] fields)
        {
            var n = _norms[leaf];
            if (n is not null) return n;
            n = new NumericDocValues?[FieldCount];
            for (var f = 0; f < FieldCount; f++) n[f] = ar.GetNormValues(fields[f].Name);
            return _norms[leaf] = n;
        }

        public NumericDocValues Ordinals(int leaf, AtomicReader ar) =>
            _ords[leaf] ??= ar.GetNumericDocValues(IndexFields.Ordinal) ?? throw new InvalidDataException($"segment {leaf} has no '{IndexFields.Ordinal}' doc values");

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

/// <summary>Work done by one recall: postings read from the lists that drive candidates, and skips into the others.</summary>
internal struct RecallWork
{
    public long Postings;
    public long Advances;
}
