namespace SearchRec.Synthetic;

/// <summary>A leaf category of the synthetic shop.</summary>
/// <param name="Id">The numeric category id used as <c>category_id</c> in events.</param>
/// <param name="Coarse">The top category, e.g. <c>女装</c>.</param>
/// <param name="Fine">The leaf, e.g. <c>连衣裙</c>.</param>
/// <param name="QueryWord">The product-type word most queries for this leaf use.</param>
public sealed record ShopCategory(int Id, string Coarse, string Fine, string QueryWord);

/// <summary>A user's hidden tastes, which drive what they view and buy.</summary>
/// <param name="UserId">The user id (1-based).</param>
/// <param name="CategoryIds">Favourite leaf category ids, most liked first.</param>
/// <param name="CategoryWeights">The share of the user's sessions each favourite category gets (sums to the non-random share).</param>
/// <param name="Brands">Favourite brands (two per top category of the favourite categories).</param>
/// <param name="PriceBand">Preferred price band within a category: 0 cheap, 1 middle, 2 premium.</param>
public sealed record UserTaste(long UserId, IReadOnlyList<int> CategoryIds, IReadOnlyList<double> CategoryWeights, IReadOnlyList<string> Brands, int PriceBand);

/// <summary>A judged item of a query: grade 2 bought, grade 1 viewed, carted or favourited in the query's session.</summary>
public readonly record struct ShopJudgment(string ItemId, int Grade);

/// <summary>A search query from one session, with the user who typed it and what they did with the results.</summary>
/// <param name="QueryId">The query id (a number, unique per session).</param>
/// <param name="Text">The query text.</param>
/// <param name="UserId">The user who searched.</param>
/// <param name="Timestamp">Unix seconds when the session started; history before this is fair to use.</param>
/// <param name="Judgments">The items the user engaged with, each once with its highest grade.</param>
public sealed record ShopQuery(string QueryId, string Text, long UserId, long Timestamp, IReadOnlyList<ShopJudgment> Judgments);

/// <summary>The files <see cref="ShopGenerator.Write"/> produced.</summary>
public sealed record ShopFiles(string Catalog, string Events, string Queries, string Qrels, string QueryUsers, string Users)
{
    /// <summary>Counts of what was written.</summary>
    public long ProductCount { get; init; }

    /// <summary>Events written.</summary>
    public long EventCount { get; init; }

    /// <summary>Queries written.</summary>
    public long QueryCount { get; init; }
}

/// <summary>Progress of <see cref="ShopGenerator.Write"/>: which file and how far.</summary>
public readonly record struct ShopProgress(string Stage, long Done, long Total);
