using System.Buffers;
using SearchRec.Ranking.Interleaving;

namespace SearchRec.Ranking.Logging;

/// <summary>
/// A search's feature-log record held back until the page shown is known (<see cref="SearchRequest.HoldFeatureLog"/>):
/// the page may show items the ranker placed below the logged depth (an interleaved page drafted from two rankings, a
/// ranking fused after the ranker with the user's collaborative blend, a page past the depth). It keeps the whole
/// window's features until <see cref="Write"/> or <see cref="WritePlain"/>; one never written is dropped.
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
    /// Writes the record of an interleaved page: the ranker's best-ranked candidates as an ordinary record holds them,
    /// then each item of the page it ranked below them (with its own rank), every item of the page marked with its place
    /// and team. Only the first <c>Write</c> or <see cref="WritePlain"/> writes.
    /// </summary>
    /// <param name="offset">The page's first place in the interleaved list (the request's offset).</param>
    /// <param name="page">The items shown, in order, each with the team that drafted it; empty when nothing was shown.</param>
    public void Write(int offset, IReadOnlyList<InterleavedItem> page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var ids = new string[page.Count];
        var teams = new InterleavingTeam?[page.Count];
        for (var p = 0; p < ids.Length; p++) (ids[p], teams[p]) = (page[p].ItemId, page[p].Team);
        WriteRecord(offset, ids, teams);
    }

    /// <summary>
    /// Writes the record of a plain (not interleaved) search's page, one ranking that the host may have reordered after
    /// the ranker (fused with the user's blend): the ranker's best-ranked candidates as an ordinary record holds them,
    /// then each item of the page it ranked below them (with its own rank), every item of the page marked with its place
    /// and no team. Only the first <c>Write</c> or <c>WritePlain</c> writes.
    /// </summary>
    /// <param name="offset">The page's first place in the list shown (the request's offset).</param>
    /// <param name="page">The ids of the items shown, in order; empty when nothing was shown.</param>
    public void WritePlain(int offset, IReadOnlyList<string> page)
    {
        ArgumentNullException.ThrowIfNull(page);
        WriteRecord(offset, page, null);
    }

    /// <summary>
    /// Drops the record unwritten (an answer nobody saw, such as a HEAD request's) and gives its buffers back. Only
    /// the first <see cref="Write"/>, <see cref="WritePlain"/> or <c>Discard</c> counts.
    /// </summary>
    public void Discard()
    {
        if (Interlocked.Exchange(ref _written, 1) != 0) return;
        ArrayPool<float>.Shared.Return(_features);
        ArrayPool<float>.Shared.Return(_scores);
    }

    // teams: each page item's team, as page; null for a page of one ranking.
    private void WriteRecord(int offset, IReadOnlyList<string> page, InterleavingTeam?[]? teams)
    {
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
                    if (string.Equals(_ids[rows[i]], page[p], StringComparison.Ordinal)) at = i;
                if (at < 0)
                {
                    // Ranked below the depth by this ranker (another team's pick, or lifted by what reordered the page):
                    // its row is in the window all the same.
                    var row = Array.IndexOf(_ids, page[p], 0, _count);
                    if (row < 0) continue;
                    at = rows.Count;
                    rows.Add(row);
                    shown.Add(null);
                }
                shown[at] = new ShownPlace(offset + p, teams?[p]);
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
