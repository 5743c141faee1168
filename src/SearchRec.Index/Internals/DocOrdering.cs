using SearchRec.Core;

namespace SearchRec.Index.Internals;

/// <summary>The doc-id order of a bulk build (<see cref="DocOrder"/>); ties keep input order, so a build is repeatable.</summary>
internal static class DocOrdering
{
    /// <summary>Input positions of <paramref name="products"/> in the order they get doc ids.</summary>
    public static int[] Sort(IReadOnlyList<Product> products, DocOrder order)
    {
        var n = products.Count;
        var keys = new (long Key, int Index)[n];
        if (order == DocOrder.Category)
        {
            var cats = Ranks(products, static p => p.CategoryPath);
            var brands = Ranks(products, static p => p.Brand ?? "");
            // 21 bits of category rank, 20 of brand rank, 22 of title length: far above any catalog's counts.
            for (var i = 0; i < n; i++)
            {
                var tokens = Math.Min(ProductIndex.TokenEstimate(products[i].Title), (1 << 22) - 1);
                keys[i] = (((long)cats[i] << 42) | ((long)brands[i] << 22) | (uint)tokens, i);
            }
        }
        else
        {
            for (var i = 0; i < n; i++) keys[i] = (ProductIndex.TokenEstimate(products[i].Title), i);
        }
        Array.Sort(keys, KeyComparer.Instance);
        var result = new int[n];
        for (var i = 0; i < n; i++) result[i] = keys[i].Index;
        return result;
    }

    /// <summary>Each product's rank among the distinct values of <paramref name="value"/> (ordinal string order).</summary>
    private static int[] Ranks(IReadOnlyList<Product> products, Func<Product, string> value)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var of = new int[products.Count];
        for (var i = 0; i < of.Length; i++)
        {
            var v = value(products[i]);
            if (!ids.TryGetValue(v, out var id)) ids.Add(v, id = ids.Count);
            of[i] = id;
        }
        if (ids.Count >= 1 << 20) throw new ArgumentException($"products: {ids.Count:N0} distinct categories or brands; DocOrder.Category sorts at most {1 << 20:N0}", "products");
        var distinct = new string[ids.Count];
        foreach (var (v, id) in ids) distinct[id] = v;
        var rankOf = new int[distinct.Length];
        var byValue = new int[distinct.Length];
        for (var i = 0; i < byValue.Length; i++) byValue[i] = i;
        Array.Sort(distinct, byValue, StringComparer.Ordinal);
        for (var r = 0; r < byValue.Length; r++) rankOf[byValue[r]] = r;
        for (var i = 0; i < of.Length; i++) of[i] = rankOf[of[i]];
        return of;
    }

    private sealed class KeyComparer : IComparer<(long Key, int Index)>
    {
        public static readonly KeyComparer Instance = new();

        public int Compare((long Key, int Index) x, (long Key, int Index) y) =>
            x.Key != y.Key ? x.Key.CompareTo(y.Key) : x.Index.CompareTo(y.Index);
    }
}
