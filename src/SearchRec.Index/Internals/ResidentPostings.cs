using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace SearchRec.Index.Internals;

/// <summary>
/// The long posting lists of the scored fields copied into plain arrays at open (doc ids and term frequencies):
/// iterating and advancing them costs a few nanoseconds a posting, where Lucene 4.8's block decoding costs ~150 ns
/// an advance. Only lists with at least <see cref="MinDocFreq"/> products in a segment are held (they are where
/// MaxScore spends its time); the index is immutable once opened, so the copies never go stale.
/// </summary>
internal sealed class ResidentPostings
{
    /// <summary>Segment document frequency from which a list is held in memory.</summary>
    public const int DefaultMinDocFreq = 512;

    // Per segment and field: term → list.
    private readonly Dictionary<string, ResidentList>?[][] _lists;

    private ResidentPostings(Dictionary<string, ResidentList>?[][] lists, long postings, long bytes, int terms, int minDocFreq)
    {
        _lists = lists;
        Postings = postings;
        Bytes = bytes;
        Terms = terms;
        MinDocFreq = minDocFreq;
    }

    /// <summary>Postings held (all segments and fields).</summary>
    public long Postings { get; }

    /// <summary>Bytes of the doc-id and frequency arrays.</summary>
    public long Bytes { get; }

    /// <summary>Bytes of the lists' per-window maxima and starts (set by the evaluator at open).</summary>
    public long WindowBytes
    {
        get
        {
            long n = 0;
            foreach (var segment in _lists)
            {
                foreach (var map in segment)
                {
                    if (map is null) continue;
                    foreach (var list in map.Values) n += list.WindowBytes;
                }
            }
            return n;
        }
    }

    /// <summary>Lists held (a term in several segments counts once per segment).</summary>
    public int Terms { get; }

    /// <summary>The segment document frequency from which lists are held.</summary>
    public int MinDocFreq { get; }

    /// <summary>The list of <paramref name="term"/> in scored field <paramref name="field"/> of segment <paramref name="leaf"/>, if held.</summary>
    public ResidentList? Get(int leaf, int field, string term) =>
        _lists[leaf][field] is { } d && d.TryGetValue(term, out var list) ? list : null;

    /// <summary>Every held list of segment <paramref name="leaf"/> and scored field <paramref name="field"/>.</summary>
    public IEnumerable<ResidentList> Lists(int leaf, int field) =>
        _lists[leaf][field] is { } d ? d.Values : [];

    /// <summary>Copies every list of at least <paramref name="minDocFreq"/> products (live ones only).</summary>
    public static ResidentPostings Load(IndexReader reader, string[] fields, int minDocFreq = DefaultMinDocFreq)
    {
        var leaves = reader.Leaves;
        var lists = new Dictionary<string, ResidentList>?[leaves.Count][];
        long postings = 0, bytes = 0;
        var terms = 0;
        var docBuf = new int[1024];
        var freqBuf = new byte[1024];
        for (var l = 0; l < leaves.Count; l++)
        {
            var ar = leaves[l].AtomicReader;
            lists[l] = new Dictionary<string, ResidentList>?[fields.Length];
            for (var f = 0; f < fields.Length; f++)
            {
                var t = ar.GetTerms(fields[f]);
                if (t is null) continue;
                var map = new Dictionary<string, ResidentList>(StringComparer.Ordinal);
                var te = t.GetEnumerator();
                DocsEnum? docs = null;
                while (te.MoveNext())
                {
                    if (te.DocFreq < minDocFreq) continue;
                    docs = te.Docs(ar.LiveDocs, docs, DocsFlags.FREQS);
                    var n = 0;
                    var fits = true;
                    int d;
                    while ((d = docs.NextDoc()) != DocIdSetIterator.NO_MORE_DOCS)
                    {
                        var tf = docs.Freq;
                        // Frequencies are kept in a byte: a list with a larger one stays with Lucene.
                        if (tf > byte.MaxValue) { fits = false; break; }
                        if (n == docBuf.Length)
                        {
                            Array.Resize(ref docBuf, n * 2);
                            Array.Resize(ref freqBuf, n * 2);
                        }
                        docBuf[n] = d;
                        freqBuf[n] = (byte)tf;
                        n++;
                    }
                    if (!fits || n == 0) continue;
                    var list = new ResidentList(docBuf.AsSpan(0, n), freqBuf.AsSpan(0, n));
                    map[te.Term.Utf8ToString()] = list;
                    postings += n;
                    bytes += list.Bytes;
                    terms++;
                }
                if (map.Count > 0) lists[l][f] = map;
            }
        }
        return new ResidentPostings(lists, postings, bytes, terms, minDocFreq);
    }
}

/// <summary>
/// One segment's postings of one term: ascending doc ids and their byte term frequencies. Doc ids are kept as 16-bit
/// offsets from the first doc id of each block of <see cref="BlockSize"/> postings when every block spans fewer than
/// 65,536 ids, else as plain ints (in category order, a term common in a few categories often has such a gap).
/// </summary>
internal sealed class ResidentList
{
    public const int BlockShift = 6;
    public const int BlockSize = 1 << BlockShift;

    public readonly int Count;
    public readonly byte[] Freqs;

    /// <summary>Plain doc ids, or null when <see cref="Low"/> and <see cref="Base"/> hold them.</summary>
    public readonly int[]? Wide;

    /// <summary>Per window of <see cref="ClauseList.Window"/> doc ids, the largest BM25 tf part (see <see cref="SetWindows"/>).</summary>
    public float[] WinMax { get; private set; } = [];

    /// <summary>Per window, and one past the last, the index of its first posting.</summary>
    public int[] WinStart { get; private set; } = [];
    public readonly ushort[] Low = [];
    public readonly int[] Base = [];

    public ResidentList(ReadOnlySpan<int> docs, ReadOnlySpan<byte> freqs)
    {
        Count = docs.Length;
        Freqs = freqs.ToArray();
        var blocks = (docs.Length + BlockSize - 1) >> BlockShift;
        var compact = true;
        for (var b = 0; b < blocks && compact; b++)
        {
            var first = docs[b << BlockShift];
            var last = docs[Math.Min(docs.Length, (b + 1) << BlockShift) - 1];
            compact = last - first <= ushort.MaxValue;
        }
        if (!compact)
        {
            Wide = docs.ToArray();
            return;
        }
        Base = new int[blocks];
        Low = new ushort[docs.Length];
        for (var i = 0; i < docs.Length; i++)
        {
            if ((i & (BlockSize - 1)) == 0) Base[i >> BlockShift] = docs[i];
            Low[i] = (ushort)(docs[i] - Base[i >> BlockShift]);
        }
    }

    /// <summary>Bytes of the postings arrays.</summary>
    public long Bytes => Freqs.Length + (Wide is null ? Low.Length * 2L + Base.Length * 4L : Wide.Length * 4L);

    /// <summary>Bytes of the per-window arrays.</summary>
    public long WindowBytes => WinMax.Length * 4L + WinStart.Length * 4L;

    /// <summary>Computes the per-window maxima and starts for the field's BM25 constants and lengths (once, at open).</summary>
    public void SetWindows(float[] lengths, FieldBm25 f, int maxDoc)
    {
        var windows = ClauseList.WindowCount(maxDoc);
        var max = new float[windows];
        var start = new int[windows + 1];
        ClauseList.Windows(Count, Wide, null, this, lengths, f, windows, max, start);
        WinMax = max;
        WinStart = start;
    }

    /// <summary>The <paramref name="i"/>-th doc id.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int Doc(int i) => Wide is { } w ? w[i] : Base[i >> BlockShift] + Low[i];
}

/// <summary>A reusable <see cref="DocsEnum"/> over a <see cref="ResidentList"/>.</summary>
internal sealed class ResidentDocsEnum : DocsEnum
{
    private ResidentList _list = null!;
    private byte[] _freqs = [];
    private int _count;
    private int _pos;
    private int _doc;

    /// <summary>Positions the enum before the first posting of <paramref name="list"/>.</summary>
    public ResidentDocsEnum Reset(ResidentList list)
    {
        _list = list;
        _freqs = list.Freqs;
        _count = list.Count;
        _pos = -1;
        _doc = -1;
        return this;
    }

    public override int DocID => _doc;

    /// <summary>The list read.</summary>
    public ResidentList List => _list;

    public override int Freq => _freqs[_pos];

    public override int NextDoc()
    {
        var p = ++_pos;
        if (p < _count) return _doc = _list.Doc(p);
        _pos = _count;
        return _doc = NO_MORE_DOCS;
    }

    public override int Advance(int target)
    {
        var list = _list;
        var n = _count;
        var lo = _pos + 1;
        if (lo >= n) { _pos = n; return _doc = NO_MORE_DOCS; }
        var d = list.Doc(lo);
        if (d >= target) { _pos = lo; return _doc = d; }
        // Gallop, then binary search: skips are short between nearby candidates and long across skipped blocks.
        var step = 1;
        var hi = lo + 1;
        while (hi < n && list.Doc(hi) < target)
        {
            lo = hi;
            step <<= 1;
            hi = lo + step;
        }
        if (hi > n) hi = n;
        // Doc(lo) < target, and Doc(hi) >= target or hi == n: the answer is in (lo, hi].
        while (hi - lo > 1)
        {
            var mid = (lo + hi) >>> 1;
            if (list.Doc(mid) < target) lo = mid;
            else hi = mid;
        }
        _pos = hi;
        return _doc = hi < n ? list.Doc(hi) : NO_MORE_DOCS;
    }

    public override long GetCost() => _count;
}
