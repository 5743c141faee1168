using Lucene.Net.Index;
using Lucene.Net.Search;

namespace SearchRec.Index.Internals;

/// <summary>
/// One clause's postings in one segment as plain arrays, with per window of <see cref="Window"/> doc ids the index of
/// its first posting there and its largest BM25 term-frequency part there: a resident list's own arrays, or a short
/// Lucene list decoded for one query into buffers this object keeps. Windows can then be visited in any order, and
/// a window's bound is the sum of its clauses' maxima rather than of their bounds over the whole index.
/// </summary>
internal sealed class ClauseList
{
    public const int WindowShift = 12;
    public const int Window = 1 << WindowShift;

    public int Count;

    /// <summary>Plain doc ids (a decoded list or a resident one too spread for 16-bit offsets), or null.</summary>
    public int[]? Docs;

    /// <summary>Int frequencies of a decoded list, or null (a resident list's are in <see cref="Freqs"/>).</summary>
    public int[]? WideFreqs;

    /// <summary>Compact form: 16-bit offsets from the first doc id of each block of 64 postings; byte frequencies of any resident list.</summary>
    public int[] Base = [];
    public ushort[] Low = [];
    public byte[] Freqs = [];

    /// <summary>Per window: the largest tf·(k1+1)/(tf + k1·(1 − b + b·len/avgLen)) of its postings (0 for none).</summary>
    public float[] WinMax = [];

    /// <summary>Per window, and one past the last: the index of the first posting at or after the window's start.</summary>
    public int[] WinStart = [];

    private int[] _docBuf = [];
    private int[] _freqBuf = [];
    private float[] _maxBuf = [];
    private int[] _startBuf = [];

    /// <summary>Points at a resident list's arrays (windows computed at open).</summary>
    public ClauseList Use(ResidentList list)
    {
        Count = list.Count;
        Docs = list.Wide;
        WideFreqs = null;
        Base = list.Base;
        Low = list.Low;
        Freqs = list.Freqs;
        WinMax = list.WinMax;
        WinStart = list.WinStart;
        return this;
    }

    /// <summary>Reads a Lucene postings list to its end into this object's buffers.</summary>
    public ClauseList Decode(DocsEnum docs, float[] lengths, FieldBm25 f, int maxDoc)
    {
        var n = 0;
        int d;
        while ((d = docs.NextDoc()) != DocIdSetIterator.NO_MORE_DOCS)
        {
            if (n == _docBuf.Length)
            {
                Array.Resize(ref _docBuf, Math.Max(64, n * 2));
                Array.Resize(ref _freqBuf, _docBuf.Length);
            }
            _docBuf[n] = d;
            _freqBuf[n] = docs.Freq;
            n++;
        }
        var windows = WindowCount(maxDoc);
        if (_maxBuf.Length < windows)
        {
            _maxBuf = new float[windows];
            _startBuf = new int[windows + 1];
        }
        Count = n;
        Docs = _docBuf;
        WideFreqs = _freqBuf;
        Base = [];
        Low = [];
        Freqs = [];
        WinMax = _maxBuf;
        WinStart = _startBuf;
        Windows(n, _docBuf, _freqBuf, null, lengths, f, windows, _maxBuf, _startBuf);
        return this;
    }

    /// <summary>Number of windows of a segment of <paramref name="maxDoc"/> doc ids.</summary>
    public static int WindowCount(int maxDoc) => (maxDoc + Window - 1) >> WindowShift;

    /// <summary>Fills the per-window maxima and starts of a list given as plain ids (<paramref name="docs"/>) or through <paramref name="list"/>.</summary>
    public static void Windows(int count, int[]? docs, int[]? wideFreqs, ResidentList? list, float[] lengths, FieldBm25 f, int windows, float[] max, int[] start)
    {
        Array.Clear(max, 0, windows);
        var w = 0;
        start[0] = 0;
        for (var i = 0; i < count; i++)
        {
            var d = docs is not null ? docs[i] : list!.Doc(i);
            var dw = d >> WindowShift;
            while (w < dw) start[++w] = i;
            float freq = wideFreqs is not null ? wideFreqs[i] : list!.Freqs[i];
            var v = freq * f.K1Plus1 / (freq + f.Constant + f.PerLength * lengths[d]);
            if (v > max[dw]) max[dw] = v;
        }
        while (w < windows) start[++w] = count;
    }

    /// <summary>The <paramref name="i"/>-th doc id.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int Doc(int i) => Docs is { } d ? d[i] : Base[i >> ResidentList.BlockShift] + Low[i];

    /// <summary>The <paramref name="i"/>-th frequency.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int Freq(int i) => WideFreqs is { } f ? f[i] : Freqs[i];

    /// <summary>
    /// Adds the BM25 score of postings [<paramref name="from"/>, <paramref name="to"/>) into
    /// <paramref name="acc"/>[<paramref name="offset"/> + doc − <paramref name="start"/>] and marks each doc in
    /// <paramref name="seen"/> (the postings must lie in the window starting at <paramref name="start"/>).
    /// </summary>
    public void Accumulate(int from, int to, int start, float weight, FieldBm25 f, float[] lengths, double[] acc, int offset, ulong[] seen)
    {
        float k1Plus1 = f.K1Plus1, constant = f.Constant, perLength = f.PerLength;
        if (Docs is { } docs && WideFreqs is { } ints)
        {
            for (var i = from; i < to; i++)
            {
                var d = docs[i];
                // The expression of ExactBm25Similarity's scorer, term for term, so scores match Lucene's to the last bit.
                float freq = ints[i];
                var score = weight * freq * k1Plus1 / (freq + constant + perLength * lengths[d]);
                var j = d - start;
                acc[offset + j] += score;
                seen[j >> 6] |= 1UL << j;
            }
        }
        else if (Docs is { } wide)
        {
            var bytes = Freqs;
            for (var i = from; i < to; i++)
            {
                var d = wide[i];
                float freq = bytes[i];
                var score = weight * freq * k1Plus1 / (freq + constant + perLength * lengths[d]);
                var j = d - start;
                acc[offset + j] += score;
                seen[j >> 6] |= 1UL << j;
            }
        }
        else
        {
            var low = Low;
            var bases = Base;
            var freqs = Freqs;
            for (var i = from; i < to; i++)
            {
                var d = bases[i >> ResidentList.BlockShift] + low[i];
                float freq = freqs[i];
                var score = weight * freq * k1Plus1 / (freq + constant + perLength * lengths[d]);
                var j = d - start;
                acc[offset + j] += score;
                seen[j >> 6] |= 1UL << j;
            }
        }
    }

    /// <summary>
    /// Writes the BM25 score of postings [<paramref name="from"/>, <paramref name="to"/>) into
    /// <paramref name="table"/>[<paramref name="offset"/> + doc − <paramref name="start"/>] (all within one window).
    /// </summary>
    public void Scores(int from, int to, int start, float weight, FieldBm25 f, float[] lengths, float[] table, int offset)
    {
        float k1Plus1 = f.K1Plus1, constant = f.Constant, perLength = f.PerLength;
        for (var i = from; i < to; i++)
        {
            var d = Doc(i);
            // The expression of ExactBm25Similarity's scorer, term for term, so scores match Lucene's to the last bit.
            float freq = Freq(i);
            table[offset + d - start] = weight * freq * k1Plus1 / (freq + constant + perLength * lengths[d]);
        }
    }

    /// <summary>Zeroes what <see cref="Scores"/> wrote.</summary>
    public void Unmark(int from, int to, int start, float[] table, int offset)
    {
        for (var i = from; i < to; i++) table[offset + Doc(i) - start] = 0f;
    }

    /// <summary>The first index in [<paramref name="lo"/>, <paramref name="hi"/>) whose doc id is at least <paramref name="target"/>, or <paramref name="hi"/>.</summary>
    public int Seek(int lo, int hi, int target)
    {
        if (lo >= hi || Doc(lo) >= target) return lo;
        // Gallop, then binary search: candidates of a window are near each other.
        var step = 1;
        var probe = lo + 1;
        while (probe < hi && Doc(probe) < target)
        {
            lo = probe;
            step <<= 1;
            probe = lo + step;
        }
        if (probe > hi) probe = hi;
        // Doc(lo) < target, and Doc(probe) >= target or probe == hi.
        while (probe - lo > 1)
        {
            var mid = (lo + probe) >>> 1;
            if (Doc(mid) < target) lo = mid;
            else probe = mid;
        }
        return probe;
    }
}
