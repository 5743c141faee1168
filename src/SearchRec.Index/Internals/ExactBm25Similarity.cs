using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Util;

namespace SearchRec.Index.Internals;

/// <summary>
/// BM25 with exact field lengths. Lucene's <see cref="BM25Similarity"/> squeezes a field's length into one byte,
/// which merges titles of quite different lengths; short product titles need the exact count (as a plain BM25 has).
/// Score = idf · boost · tf·(k1+1) / (tf + k1·(1 − b + b·len/avgLen)), idf = ln(1 + (N − n + 0.5)/(n + 0.5)).
/// Every token counts toward the length, overlapping (search-mode) tokens included.
/// </summary>
internal sealed class ExactBm25Similarity : Similarity
{
    private readonly float _k1;
    private readonly float _b;

    public ExactBm25Similarity(float k1, float b)
    {
        _k1 = k1;
        _b = b;
    }

    public override long ComputeNorm(FieldInvertState state) => state.Length;

    public override SimWeight ComputeWeight(float queryBoost, CollectionStatistics collectionStats, params TermStatistics[] termStats)
    {
        var n = collectionStats.MaxDoc;
        double idf = 0;
        foreach (var t in termStats)
            idf += Math.Log(1 + (n - t.DocFreq + 0.5) / (t.DocFreq + 0.5));
        var docs = collectionStats.DocCount > 0 ? collectionStats.DocCount : n;
        var sum = collectionStats.SumTotalTermFreq;
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
