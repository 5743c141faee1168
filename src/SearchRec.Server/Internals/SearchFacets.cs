using System.Runtime.InteropServices;
using SearchRec.Index;

namespace SearchRec.Server.Internals;

/// <summary>One value of a facet and how many products of the recall window carry it.</summary>
internal sealed record FacetValue(string Value, int Count);

/// <summary>The lowest and highest price among the recall window's products that have one.</summary>
internal sealed record PriceRange(double Min, double Max);

/// <summary>
/// Filter chips for a search (<c>facets=true</c>): leaf categories and brands with counts, and the price range.
/// Counted over the recall window (the candidates the ranker re-ranks) after the request's filters, not over every
/// match: BM25 recall is an OR over terms, so counts over all matches would be dominated by one-character noise.
/// </summary>
/// <param name="Category">Leaf categories (the last level of the path, the value <c>category=</c> filters on), most common first.</param>
/// <param name="Brand">Brands, most common first.</param>
/// <param name="Price">The price range, or null when no product of the window has a price.</param>
internal sealed record SearchFacets(IReadOnlyList<FacetValue> Category, IReadOnlyList<FacetValue> Brand, PriceRange? Price)
{
    /// <summary>The most values a facet lists.</summary>
    public const int MaxValues = 10;

    // Dictionaries kept per thread, so a search allocates only its answer. One grown past this is not kept:
    // a window of 10,000 could leave one of that size on every pool thread.
    private const int MaxKeptEntries = 1024;
    [ThreadStatic] private static Dictionary<string, int>? t_categories;
    [ThreadStatic] private static Dictionary<string, int>? t_brands;

    /// <summary>
    /// Counts the candidates' products (read from <paramref name="catalog"/>, in memory in the service). Products the
    /// catalog no longer holds are skipped, as the results skip them; a missing brand or category is not counted.
    /// </summary>
    public static SearchFacets Count(ICatalog catalog, IReadOnlyList<RecallCandidate> candidates)
    {
        var categories = t_categories ?? new Dictionary<string, int>(StringComparer.Ordinal);
        var brands = t_brands ?? new Dictionary<string, int>(StringComparer.Ordinal);
        t_categories = t_brands = null;   // not shared with a nested call on this thread while in use
        try
        {
            double min = double.PositiveInfinity, max = double.NegativeInfinity;
            for (int i = 0; i < candidates.Count; i++)
            {
                var p = catalog.Get(candidates[i].ProductId);
                if (p is null) continue;
                if (p.Category.Count > 0 && p.Category[^1] is { } leaf && !string.IsNullOrWhiteSpace(leaf))
                    CollectionsMarshal.GetValueRefOrAddDefault(categories, leaf, out _)++;
                if (!string.IsNullOrWhiteSpace(p.Brand))
                    CollectionsMarshal.GetValueRefOrAddDefault(brands, p.Brand, out _)++;
                if (p.Price is double price && double.IsFinite(price))
                {
                    if (price < min) min = price;
                    if (price > max) max = price;
                }
            }
            return new SearchFacets(Top(categories), Top(brands), min <= max ? new PriceRange(min, max) : null);
        }
        finally
        {
            Keep(categories, ref t_categories);
            Keep(brands, ref t_brands);
        }
    }

    private static void Keep(Dictionary<string, int> counts, ref Dictionary<string, int>? slot)
    {
        if (counts.Count > MaxKeptEntries) return;
        counts.Clear();   // drop the references to the catalog's strings
        slot = counts;
    }

    /// <summary>The <see cref="MaxValues"/> most common values, by count descending, then value (ordinal).</summary>
    internal static FacetValue[] Top(Dictionary<string, int> counts)
    {
        if (counts.Count == 0) return [];
        // Insertion into the best n so far; only the winners become answer objects.
        Span<int> best = stackalloc int[MaxValues];
        var values = new string[Math.Min(MaxValues, counts.Count)];
        int n = values.Length, filled = 0;
        foreach (var (value, count) in counts)
        {
            if (filled == n && !Before(value, count, values[n - 1], best[n - 1])) continue;
            int pos = filled < n ? filled++ : n - 1;
            while (pos > 0 && Before(value, count, values[pos - 1], best[pos - 1]))
            {
                values[pos] = values[pos - 1];
                best[pos] = best[pos - 1];
                pos--;
            }
            values[pos] = value;
            best[pos] = count;
        }
        var top = new FacetValue[n];
        for (int i = 0; i < n; i++) top[i] = new FacetValue(values[i], best[i]);
        return top;
    }

    private static bool Before(string value, int count, string otherValue, int otherCount) =>
        count > otherCount || (count == otherCount && string.CompareOrdinal(value, otherValue) < 0);
}
