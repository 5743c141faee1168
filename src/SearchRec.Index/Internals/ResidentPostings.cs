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

    /// <summary>Lists held (a term in several segments counts once per segment).</summary>
    public int Terms { get; }

    /// <summary>The segment document frequency from which lists are held.</summary>
    public int MinDocFreq { get; }

    /// <summary>The list of <paramref name="term"/> in scored field <paramref name="field"/> of segment <paramref name="leaf"/>, if held.</summary>
    public ResidentList? Get(int leaf, int field, string term) =>
        _lists[leaf][field] is { } d && d.TryGetValue(term, out var list) ? list : null;

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
                    map[te.Term.Utf8ToString()] = new ResidentList(docBuf.AsSpan(0, n).ToArray(), freqBuf.AsSpan(0, n).ToArray());
                    postings += n;
                    bytes += n * 5L;
                    terms++;
                }
                if (map.Count > 0) lists[l][f] = map;
            }
        }
        return new ResidentPostings(lists, postings, bytes, terms, minDocFreq);
    }
}

/// <summary>One segment's postings of one term: ascending doc ids and their term frequencies.</summary>
internal sealed class ResidentList(int[] docs, byte[] freqs)
{
    public readonly int[] Docs = docs;
    public readonly byte[] Freqs = freqs;
}

/// <summary>A reusable <see cref="DocsEnum"/> over a <see cref="ResidentList"/>.</summary>
internal sealed class ResidentDocsEnum : DocsEnum
{
    private int[] _docs = [];
    private byte[] _freqs = [];
    private int _pos;
    private int _doc;

    /// <summary>Positions the enum before the first posting of <paramref name="list"/>.</summary>
    public ResidentDocsEnum Reset(ResidentList list)
    {
        _docs = list.Docs;
        _freqs = list.Freqs;
        _pos = -1;
        _doc = -1;
        return this;
    }

    public override int DocID => _doc;

    public override int Freq => _freqs[_pos];

    public override int NextDoc()
    {
        var p = ++_pos;
        var docs = _docs;
        if ((uint)p < (uint)docs.Length) return _doc = docs[p];
        _pos = docs.Length;
        return _doc = NO_MORE_DOCS;
    }

    public override int Advance(int target)
    {
        var docs = _docs;
        var lo = _pos + 1;
        if (lo >= docs.Length) { _pos = docs.Length; return _doc = NO_MORE_DOCS; }
        if (docs[lo] >= target) { _pos = lo; return _doc = docs[lo]; }
        // Gallop, then binary search: skips are short between nearby candidates and long across skipped blocks.
        var step = 1;
        var hi = lo + 1;
        while (hi < docs.Length && docs[hi] < target)
        {
            lo = hi;
            step <<= 1;
            hi = lo + step;
        }
        if (hi > docs.Length) hi = docs.Length;
        // docs[lo] < target; the answer is in (lo, hi].
        var i = Array.BinarySearch(docs, lo + 1, hi - lo - 1, target);
        if (i < 0) i = ~i;
        _pos = i;
        return _doc = i < docs.Length ? docs[i] : NO_MORE_DOCS;
    }

    public override long GetCost() => _docs.Length;
}
