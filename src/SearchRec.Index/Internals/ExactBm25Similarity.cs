using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Util;

namespace SearchRec.Index.Internals;

/// <summary>
/// BM25 with exact field lengths. Lucene's <see cref="BM25Similarity"/> squeezes a field's length into one byte,
/// which merges titles of quite different lengths; short product titles need the exact count (as a plain BM25 has).
/// Score = idf · boost · tf·(k1+1) / (tf + k1·(1 − b + b·len/avgLen)), idf = ln(1 + (N − n + 0.5)/(n + 0.5)).
/// The length is the field's positions plus its overlapping tokens: every token counts, overlapping (search-mode)
/// tokens included, and so do the gaps an analyzer leaves for what it dropped (punctuation in the segmenting
/// analyzer, as jieba counts it); with no gaps this is the token count.
/// </summary>
internal sealed class ExactBm25Similarity : Similarity
{
    private readonly float _k1;
    private readonly float _b;

    private readonly IReadOnlyDictionary<string, long>? _lengthSums;

    /// <param name="k1">BM25 k1.</param>
    /// <param name="b">BM25 b.</param>
    /// <param name="lengthSums">
    /// Per field, the sum of the lengths <see cref="ComputeNorm"/> stored (see <see cref="SumLengths"/>): the average
    /// length must count what the lengths count, and Lucene's term-frequency sum misses the gaps. Null when only
    /// indexing; a field missing here falls back to the term-frequency sum.
    /// </param>
    public ExactBm25Similarity(float k1, float b, IReadOnlyDictionary<string, long>? lengthSums = null)
    {
        _k1 = k1;
        _b = b;
        _lengthSums = lengthSums;
    }

    /// <summary>The sum of the stored lengths of each field, over all documents (read once when an index opens).</summary>
    public static Dictionary<string, long> SumLengths(IndexReader reader, IEnumerable<string> fields)
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            long sum = 0;
            foreach (var leaf in reader.Leaves)
            {
                var norms = leaf.AtomicReader.GetNormValues(field);
                if (norms is null) continue;
                var max = leaf.AtomicReader.MaxDoc;
                for (var d = 0; d < max; d++) sum += norms.Get(d);
            }
            sums[field] = sum;
        }
        return sums;
    }

    public override long ComputeNorm(FieldInvertState state) => state.Position + state.NumOverlap;

    public override SimWeight ComputeWeight(float queryBoost, CollectionStatistics collectionStats, params TermStatistics[] termStats)
    {
        var n = collectionStats.MaxDoc;
        double idf = 0;
        foreach (var t in termStats)
            idf += Math.Log(1 + (n - t.DocFreq + 0.5) / (t.DocFreq + 0.5));
        var docs = collectionStats.DocCount > 0 ? collectionStats.DocCount : n;
        var sum = _lengthSums is not null && _lengthSums.TryGetValue(collectionStats.Field, out var lengths) ? lengths : collectionStats.SumTotalTermFreq;
        var avg = sum <= 0 || docs <= 0 ? 1f : (float)((double)sum / docs);
        return new Bm25Weight(collectionStats.Field, (float)idf, queryBoost, avg);
    }

    public override SimScorer GetSimScorer(SimWeight weight, AtomicReaderContext context)
    {
        var w = (Bm25Weight)weight;
        return new Bm25Scorer(w, _k1, _b, context.AtomicReader.GetNormValues(w.Field));
    }

    public override string ToString() => $"ExactBM25(k1={_k1},b={_b})";

    private sealed class Bm25Weight(string field, float idf, float queryBoost, float avgLength) : SimWeight
    {
        public readonly string Field = field;
        public readonly float AvgLength = avgLength;
        public float Value = idf * queryBoost;

        public override float GetValueForNormalization() => Value * Value;

        public override void Normalize(float queryNorm, float topLevelBoost) => Value = idf * queryBoost * topLevelBoost;
    }

    private sealed class Bm25Scorer : SimScorer
    {
        private readonly float _weight;
        private readonly float _k1Plus1;
        private readonly float _constant;
        private readonly float _perLength;
        private readonly float _avgLength;
        private readonly NumericDocValues? _norms;

        public Bm25Scorer(Bm25Weight w, float k1, float b, NumericDocValues? norms)
        {
            _weight = w.Value;
            _k1Plus1 = k1 + 1;
            _constant = k1 * (1 - b);
            _perLength = k1 * b / w.AvgLength;
            _avgLength = w.AvgLength;
            _norms = norms;
        }

        public override float Score(int doc, float freq)
        {
            var length = _norms is null ? _avgLength : _norms.Get(doc);
            return _weight * freq * _k1Plus1 / (freq + _constant + _perLength * length);
        }

        public override float ComputeSlopFactor(int distance) => 1f / (distance + 1);

        public override float ComputePayloadFactor(int doc, int start, int end, BytesRef payload) => 1f;
    }
}
