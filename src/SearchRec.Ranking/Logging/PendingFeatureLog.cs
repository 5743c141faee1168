using System.Buffers;
using SearchRec.Ranking.Interleaving;

namespace SearchRec.Ranking.Logging;

/// <summary>
/// A search's feature-log record held back until the page shown is known (<see cref="SearchRequest.HoldFeatureLog"/>):
/// an interleaved page is drafted from two rankings after both ran, and may show items the ranker placed below the
/// logged depth. It keeps the whole window's features until <see cref="Write"/>; one never written is dropped.
/// </summary>
public sealed class PendingFeatureLog
{
    private readonly IFeatureLogger _logger;
    private readonly FeatureLogRecord _record;   // everything but the candidates, which Write picks
    private readonly string[] _ids;
    private readonly float[] _features;          // pooled, count × schema width; returned by Write
    private readonly float[] _scores;            // pooled, the ranker's score of each candidate
    private readonly int _count;
    private readonly int _depth;
    private int _written;

    internal PendingFeatureLog(IFeatureLogger logger, FeatureLogRecord record, string[] ids, float[] features, float[] scores, int count, int depth)
    {
        _logger = logger;
        _record = record;
        _ids = ids;
        _features = features;
        _scores = scores;
        _count = count;
        _depth = depth > 0 ? Math.Min(depth, count) : count;
    }

    /// <summary>
    /// Writes the record: the ranker's best-ranked candidates as an ordinary record holds them, then each item of the
    /// page it ranked below them (with its own rank), every item of the page marked with its place and team. Only the
    /// first call writes.
    /// </summary>
    /// <param name="offset">The page's first place in the interleaved list (the request's offset).</param>
    /// <param name="page">The items shown, in order, each with the team that drafted it; empty when nothing was shown.</param>
    public void Write(int offset, IReadOnlyList<InterleavedItem> page)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (Interlocked.Exchange(ref _written, 1) != 0) return;
        try
        {
            var scores = _scores.AsSpan(0, _count);
            var rows = new List<int>(_depth + page.Count);
            rows.AddRange(SearchPipeline.TopK(scores, _depth));
            var shown = new List<ShownPlace?>(rows.Count + page.Count);
            for (var i = 0; i < rows.Count; i++) shown.Add(null);
            for (var p = 0; p < page.Count; p++)
            {
                var at = -1;
                for (var i = 0; i < rows.Count && at < 0; i++)
                    if (string.Equals(_ids[rows[i]], page[p].ItemId, StringComparison.Ordinal)) at = i;
                if (at < 0)
                {
                    // Ranked below the depth by this ranker (the other team's pick): its row is in the window all the same.
                    var row = Array.IndexOf(_ids, page[p].ItemId, 0, _count);
                    if (row < 0) continue;
                    at = rows.Count;
                    rows.Add(row);
                    shown.Add(null);
                }
                shown[at] = new ShownPlace(offset + p, page[p].Team);
            }
            var dim = _record.Schema.Count;
            var items = new string[rows.Count];
            var ranks = new int[rows.Count];
            var features = new float[rows.Count * dim];
            for (var i = 0; i < rows.Count; i++)
            {
                items[i] = _ids[rows[i]];
                ranks[i] = i < _depth ? i : RankOf(scores, rows[i]);
                _features.AsSpan(rows[i] * dim, dim).CopyTo(features.AsSpan(i * dim, dim));
            }
            _logger.Log(_record with { Items = items, Features = features, Ranks = ranks, Shown = shown });
        }
        finally
        {
            ArrayPool<float>.Shared.Return(_features);
            ArrayPool<float>.Shared.Return(_scores);
        }
    }

    // The row's place in the ranker's order, as SearchPipeline.TopK orders: by score, ties to the lower index.
    private static int RankOf(ReadOnlySpan<float> scores, int row)
    {
        var rank = 0;
        for (var j = 0; j < scores.Length; j++)
            if (scores[j] > scores[row] || (j < row && scores[j] == scores[row])) rank++;
        return rank;
    }
}
