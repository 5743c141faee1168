using System.Buffers;
using System.Globalization;
using SearchRec.Collab.Models;
using SearchRec.Core;

namespace SearchRec.Ranking.Features;

/// <summary>
/// Behaviour features from the collaborative models and the user's history: item-to-item against the history, ALS,
/// repeat, category affinity, item popularity and recency (hours since the item's last event and since its first, as
/// of the request's time, when <see cref="ItemActivity"/> is given), and the candidate's price and brand against what
/// the user bought or looked at. Unknown (anonymous user, item without events, no price) is NaN with a <c>has_*</c>
/// column. Version 2 added the recency columns.
/// </summary>
public sealed class CollabFeatures : IFeatureGroup
{
    private const int ProfileEvents = 50;

    private static readonly string[] Names =
    [
        "has_history", "history_len", "cf_item_item", "cf_als", "cf_repeat", "cf_category_affinity",
        "has_item_events", "item_popularity", "has_price_band", "price_band_dist", "user_brand_share",
        "has_item_activity", "item_hours_since_event", "item_age_hours",
    ];

    private readonly CollabModels _models;
    private readonly Func<string, Product?> _products;
    private readonly ItemActivity? _activity;

    /// <summary>
    /// Creates the group over trained models; <paramref name="products"/> looks up history items (for price and
    /// brand); <paramref name="activity"/> gives item recency (without it the recency columns are NaN).
    /// </summary>
    public CollabFeatures(CollabModels models, Func<string, Product?> products, ItemActivity? activity = null)
    {
        _models = Guard.NotNull(models);
        _products = Guard.NotNull(products);
        _activity = activity;
    }

    /// <inheritdoc />
    public string Name => "collab";

    /// <inheritdoc />
    public int Version => 2;

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames => Names;

    /// <inheritdoc />
    public void Compute(RankingQuery query, ReadOnlySpan<RankingCandidate> candidates, FeatureWriter output)
    {
        var n = candidates.Length;
        if (n == 0) return;
        var items = ArrayPool<long>.Shared.Rent(n);
        var buf = ArrayPool<float>.Shared.Rent(4 * n);
        try
        {
            for (var i = 0; i < n; i++)
                items[i] = long.TryParse(candidates[i].Recall.ProductId, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? id : -1;
            var history = query.History;
            var hasHistory = history is { Count: > 0 };
            var ii = buf.AsSpan(0, n);
            var als = buf.AsSpan(n, n);
            var rep = buf.AsSpan(2 * n, n);
            var cat = buf.AsSpan(3 * n, n);
            if (hasHistory)
            {
                var ids = items.AsSpan(0, n);
                _models.ItemItem.Score(history!, ids, ii);
                _models.Als.Score(history!, ids, als);
                _models.Repeat.Score(history!, ids, rep);
                _models.Category.Score(history!, ids, cat);
            }
            else buf.AsSpan(0, 4 * n).Fill(float.NaN);

            var now = query.AsOf ?? (_activity is null ? 0 : _activity.Latest + 1);
            var (bandCentre, brands, brandTotal) = hasHistory ? Profile(history!) : (float.NaN, null, 0);
            for (var i = 0; i < n; i++)
            {
                output.Set(i, 0, hasHistory ? 1 : 0);
                output.Set(i, 1, MathF.Log(1 + (history?.Count ?? 0)));
                output.Set(i, 2, ii[i]);
                output.Set(i, 3, als[i]);
                output.Set(i, 4, rep[i]);
                output.Set(i, 5, cat[i]);
                var pop = items[i] >= 0 ? _models.PopularityOf(items[i]) : float.NaN;
                output.Set(i, 6, float.IsNaN(pop) ? 0 : 1);
                output.Set(i, 7, float.IsNaN(pop) ? float.NaN : MathF.Log(1 + MathF.Max(0, pop)));
                var p = candidates[i].Product;
                if (!float.IsNaN(bandCentre) && p.Price is { } price && price > 0)
                {
                    output.Set(i, 8, 1);
                    output.Set(i, 9, MathF.Abs(MathF.Log((float)price) - bandCentre));
                }
                else
                {
                    output.Set(i, 8, 0);
                    output.Set(i, 9, float.NaN);
                }
                output.Set(i, 10, brands is not null && brandTotal > 0 && p.Brand is { Length: > 0 } b
                    ? (float)brands.GetValueOrDefault(b) / brandTotal : float.NaN);
                var (sinceLast, age, _, seen) = _activity is not null && items[i] >= 0 ? _activity.At(items[i], now) : (float.NaN, float.NaN, 0, 0);
                output.Set(i, 11, seen > 0 ? 1 : 0);
                output.Set(i, 12, seen > 0 ? MathF.Log(1 + sinceLast) : float.NaN);
                output.Set(i, 13, seen > 0 ? MathF.Log(1 + age) : float.NaN);
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(items);
            ArrayPool<float>.Shared.Return(buf);
        }
    }

    // The user's usual price (median log price) and brand counts over the most recent events.
    private (float BandCentre, Dictionary<string, int>? Brands, int BrandTotal) Profile(UserHistory history)
    {
        var events = history.Events;
        var m = Math.Min(events.Length, ProfileEvents);
        var prices = new List<float>(m);
        var brands = new Dictionary<string, int>(StringComparer.Ordinal);
        var total = 0;
        for (var k = 0; k < m; k++)
        {
            var p = _products(events[k].ItemId.ToString(CultureInfo.InvariantCulture));
            if (p is null) continue;
            if (p.Price is { } price && price > 0) prices.Add(MathF.Log((float)price));
            if (p.Brand is { Length: > 0 } b)
            {
                brands[b] = brands.GetValueOrDefault(b) + 1;
                total++;
            }
        }
        if (prices.Count == 0) return (float.NaN, total > 0 ? brands : null, total);
        prices.Sort();
        return (prices[prices.Count / 2], total > 0 ? brands : null, total);
    }
}
