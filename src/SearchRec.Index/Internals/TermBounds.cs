using System.Collections.Concurrent;
using System.Text;
using Lucene.Net.Index;
using Lucene.Net.Search;

namespace SearchRec.Index.Internals;

/// <summary>
/// Per (field, term) upper bounds of the BM25 term-frequency part, tf·(k1+1)/(tf + k1·(1 − b + b·len/avgLen)), over
/// every product holding the term, and its largest term frequency: a term's score in any product is at most
/// idf · count · bound, and in a product of known length at most the score the largest frequency would give there,
/// which lets <see cref="MaxScoreEvaluator"/> skip products that cannot reach the top N.
/// </summary>
/// <remarks>
/// Only terms with at least <see cref="ExactFrom"/> products in some segment are walked and stored (the long lists,
/// where a tight bound pays); for the rest a segment's statistics give a safe bound without reading postings
/// (<see cref="StatsBound"/>: a product holding a term tf times has length ≥ tf, and tf ≤ the segment's total term
/// frequency). An index built before this file existed computes the exact bound of a term on its first query.
/// </remarks>
internal sealed class TermBounds
{
    /// <summary>The side file beside the Lucene files.</summary>
    public const string FileName = "searchrec-maxscore.bin";

    /// <summary>Segment document frequency from which a term's postings are walked for an exact bound.</summary>
    public const int ExactFrom = 32;

    private const int Magic = 0x534D5253; // "SRMS"
    private const int Version = 3; // 3 records the Lucene commit the bounds were computed on
    private const int UntaggedVersion = 2;

    private readonly Dictionary<string, TermBound>?[] _stored;
    private readonly ConcurrentDictionary<string, TermBound>[]? _lazy;
    private readonly IndexReader? _reader;
    private readonly FieldBm25[] _fields;

    private TermBounds(FieldBm25[] fields, Dictionary<string, TermBound>?[] stored, IndexReader? lazyReader)
    {
        _fields = fields;
        _stored = stored;
        _reader = lazyReader;
        if (lazyReader is not null)
        {
            _lazy = new ConcurrentDictionary<string, TermBound>[fields.Length];
            for (var i = 0; i < fields.Length; i++) _lazy[i] = new ConcurrentDictionary<string, TermBound>(StringComparer.Ordinal);
        }
    }

    /// <summary>Whether bounds come from a build-time pass (false: computed per term on first use).</summary>
    public bool Precomputed => _lazy is null;

    /// <summary>Number of terms with a stored exact bound (all fields).</summary>
    public int StoredTerms
    {
        get
        {
            var n = 0;
            foreach (var d in _stored) n += d?.Count ?? 0;
            return n;
        }
    }

    /// <summary>
    /// The bound of <paramref name="term"/> in scored field <paramref name="field"/>, or false when the term is rare in
    /// every segment (the caller then takes the largest <see cref="StatsBound"/> of its segments).
    /// </summary>
    public bool TryGet(int field, string term, out TermBound bound)
    {
        if (_lazy is not null)
        {
            bound = _lazy[field].GetOrAdd(term, static (t, arg) => arg.Self.Walk(arg.Field, t), (Self: this, Field: field));
            return true;
        }
        if (_stored[field] is { } d && d.TryGetValue(term, out bound)) return true;
        bound = default;
        return false;
    }

    /// <summary>A bound from a segment's statistics alone: tf ≤ total term frequency and length ≥ tf.</summary>
    public float StatsBound(int field, long totalTermFreq)
    {
        var f = _fields[field];
        if (totalTermFreq < 1) return f.K1Plus1;
        var tf = (float)totalTermFreq;
        // tf·(k1+1)/(tf + c + p·tf) grows with tf, so the largest possible tf bounds it.
        return tf * f.K1Plus1 / (f.Constant + tf * (1 + f.PerLength));
    }

    /// <summary>Walks every segment's terms and postings of the scored fields once (at build).</summary>
    public static TermBounds Compute(IndexReader reader, FieldBm25[] fields)
    {
        var stored = new Dictionary<string, TermBound>?[fields.Length];
        for (var f = 0; f < fields.Length; f++)
        {
            var map = new Dictionary<string, TermBound>(StringComparer.Ordinal);
            var field = fields[f];
            // Terms rare in one segment but common in another still need that segment's share of the bound.
            var rareStats = new Dictionary<string, TermBound>(StringComparer.Ordinal);
            foreach (var leaf in reader.Leaves)
            {
                var ar = leaf.AtomicReader;
                var terms = ar.GetTerms(field.Name);
                var norms = ar.GetNormValues(field.Name);
                if (terms is null || norms is null) continue;
                var te = terms.GetEnumerator();
                DocsEnum? docs = null;
                while (te.MoveNext())
                {
                    var df = te.DocFreq;
                    if (df < ExactFrom)
                    {
                        var sb = new TermBound(StatsBoundOf(field, te.TotalTermFreq), (int)Math.Min(int.MaxValue, Math.Max(1, te.TotalTermFreq)));
                        var key = te.Term.Utf8ToString();
                        if (map.TryGetValue(key, out var m)) map[key] = m.Max(sb);
                        else rareStats[key] = rareStats.TryGetValue(key, out var r) ? r.Max(sb) : sb;
                        continue;
                    }
                    docs = te.Docs(ar.LiveDocs, docs, DocsFlags.FREQS);
                    var max = MaxTfNorm(docs, norms, field);
                    var name = te.Term.Utf8ToString();
                    if (rareStats.Remove(name, out var earlier)) max = max.Max(earlier);
                    map[name] = map.TryGetValue(name, out var cur) ? cur.Max(max) : max;
                }
            }
            stored[f] = map;
        }
        return new TermBounds(fields, stored, null);
    }

    /// <summary>Bounds computed per term on first use (an index without the side file).</summary>
    public static TermBounds Lazy(IndexReader reader, FieldBm25[] fields) => new(fields, new Dictionary<string, TermBound>?[fields.Length], reader);

    /// <summary>Loads the side file, or returns null when it is missing or was written for other BM25 settings.</summary>
    /// <exception cref="InvalidDataException">The file is truncated or not a bounds file.</exception>
    /// <param name="path">The side file.</param>
    /// <param name="fields">The fields' BM25 parameters as the index opens them.</param>
    /// <param name="generation">The generation of the commit the reader opened: bounds of another commit are not used.</param>
    public static TermBounds? Load(string path, FieldBm25[] fields, long generation)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (r.ReadInt32() != Magic) throw new InvalidDataException($"{path}: not a SearchRec bounds file");
            var version = r.ReadInt32();
            // Untagged files come from indexes built before updates existed; an update deletes them before it commits.
            if (version != Version && version != UntaggedVersion) return null;
            if (version == Version && r.ReadInt64() != generation) return null;
            var count = r.ReadInt32();
            if (count != fields.Length) return null;
            var stored = new Dictionary<string, TermBound>?[fields.Length];
            for (var f = 0; f < count; f++)
            {
                var name = r.ReadString();
                var k1 = r.ReadSingle();
                var b = r.ReadSingle();
                var avg = r.ReadSingle();
                var fb = fields[f];
                // Bounds depend on k1, b and the average length: stale ones would be unsafe, so recompute instead.
                if (name != fb.Name || k1 != fb.K1 || b != fb.B || avg != fb.AvgLength) return null;
                var n = r.ReadInt32();
                if (n < 0) throw new InvalidDataException($"{path}: field '{name}' has a negative term count");
                var map = new Dictionary<string, TermBound>(n, StringComparer.Ordinal);
                for (var i = 0; i < n; i++)
                {
                    var term = r.ReadString();
                    map[term] = new TermBound(r.ReadSingle(), r.ReadInt32());
                }
                stored[f] = map;
            }
            return new TermBounds(fields, stored, null);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated", e);
        }
    }

    /// <summary>Writes the side file (precomputed bounds only).</summary>
    public void Save(string path, long generation)
    {
        if (_lazy is not null) throw new InvalidOperationException("lazy bounds are not saved");
        var tmp = path + ".tmp";
        using (var w = new BinaryWriter(File.Create(tmp), Encoding.UTF8))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(generation);
            w.Write(_fields.Length);
            for (var f = 0; f < _fields.Length; f++)
            {
                var fb = _fields[f];
                w.Write(fb.Name);
                w.Write(fb.K1);
                w.Write(fb.B);
                w.Write(fb.AvgLength);
                var map = _stored[f]!;
                w.Write(map.Count);
                foreach (var (term, v) in map)
                {
                    w.Write(term);
                    w.Write(v.TfNorm);
                    w.Write(v.MaxTf);
                }
            }
        }
        File.Move(tmp, path, overwrite: true);
    }

    private TermBound Walk(int field, string term)
    {
        var fb = _fields[field];
        var bytes = new Lucene.Net.Util.BytesRef(term);
        var max = new TermBound(0f, 0);
        DocsEnum? docs = null;
        foreach (var leaf in _reader!.Leaves)
        {
            var ar = leaf.AtomicReader;
            var terms = ar.GetTerms(fb.Name);
            var norms = ar.GetNormValues(fb.Name);
            if (terms is null || norms is null) continue;
            var te = terms.GetEnumerator();
            if (!te.SeekExact(bytes)) continue;
            docs = te.Docs(ar.LiveDocs, docs, DocsFlags.FREQS);
            max = max.Max(MaxTfNorm(docs, norms, fb));
        }
        return max;
    }

    private static float StatsBoundOf(FieldBm25 f, long totalTermFreq)
    {
        if (totalTermFreq < 1) return f.K1Plus1;
        var tf = (float)totalTermFreq;
        return tf * f.K1Plus1 / (f.Constant + tf * (1 + f.PerLength));
    }

    private static TermBound MaxTfNorm(DocsEnum docs, NumericDocValues norms, FieldBm25 f)
    {
        var max = 0f;
        var maxTf = 0;
        int d;
        while ((d = docs.NextDoc()) != DocIdSetIterator.NO_MORE_DOCS)
        {
            var tf = docs.Freq;
            if (tf > maxTf) maxTf = tf;
            float freq = tf;
            float length = norms.Get(d);
            var v = freq * f.K1Plus1 / (freq + f.Constant + f.PerLength * length);
            if (v > max) max = v;
        }
        return new TermBound(max, maxTf);
    }
}

/// <summary>A term's largest BM25 term-frequency part over the products holding it, and its largest frequency.</summary>
internal readonly record struct TermBound(float TfNorm, int MaxTf)
{
    /// <summary>The larger of both parts.</summary>
    public TermBound Max(TermBound other) => new(Math.Max(TfNorm, other.TfNorm), Math.Max(MaxTf, other.MaxTf));
}

/// <summary>One scored field's BM25 constants, as <see cref="ExactBm25Similarity"/> computes them.</summary>
internal sealed class FieldBm25
{
    public FieldBm25(string name, float k1, float b, float avgLength)
    {
        Name = name;
        K1 = k1;
        B = b;
        AvgLength = avgLength;
        K1Plus1 = k1 + 1;
        Constant = k1 * (1 - b);
        PerLength = k1 * b / avgLength;
    }

    public string Name { get; }
    public float K1 { get; }
    public float B { get; }
    public float AvgLength { get; }
    public float K1Plus1 { get; }
    public float Constant { get; }
    public float PerLength { get; }

    /// <summary>The average length the similarity uses for <paramref name="field"/>.</summary>
    public static float Average(IndexReader reader, string field, long lengthSum)
    {
        var terms = MultiFields.GetTerms(reader, field);
        long docs = terms?.DocCount ?? 0;
        if (docs <= 0) docs = reader.MaxDoc;
        return lengthSum <= 0 || docs <= 0 ? 1f : (float)((double)lengthSum / docs);
    }
}
