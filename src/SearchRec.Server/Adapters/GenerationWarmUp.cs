using System.Diagnostics;
using SearchRec.Core;

namespace SearchRec.Server.Adapters;

/// <summary>
/// Runs sample searches, similar items and feeds through a freshly loaded generation before it serves. .NET compiles
/// a method quickly first and optimises it once it has been called often; without this, the first few thousand
/// requests after a start run the quick code, on a machine busy with those requests.
/// </summary>
internal static class GenerationWarmUp
{
    /// <summary>What a warm-up did.</summary>
    internal readonly record struct Report(int Searches, int Similar, int Feeds, TimeSpan Elapsed);

    /// <summary>Runs until <paramref name="budget"/> has passed or <paramref name="maxRounds"/> rounds are done; reads only.</summary>
    internal static Report Run(ServiceGeneration generation, TimeSpan budget, int maxRounds, CancellationToken ct)
    {
        Guard.NotNull(generation);
        var sw = Stopwatch.StartNew();
        int searches = 0, similar = 0, feeds = 0;
        var samples = generation.Samples;
        var queries = samples.Queries.Count > 0 ? samples.Queries : TitleQueries(generation.Catalog, samples.ItemIds);
        if (budget <= TimeSpan.Zero || (queries.Count == 0 && samples.ItemIds.Count == 0)) return new Report(0, 0, 0, sw.Elapsed);
        var users = samples.UserIds;
        for (int i = 0; i < maxRounds && sw.Elapsed < budget; i++)
        {
            ct.ThrowIfCancellationRequested();
            // Anonymous and personal requests take different paths through the ranker.
            long? user = users.Count == 0 || i % 4 == 0 ? null : users[i % users.Count];
            if (queries.Count > 0)
            {
                var query = new SearchQuery(queries[i % queries.Count], null, null, null, null);
                generation.Search.Rank(query, generation.Search.Recall(query), user, 10, explain: i % 64 == 0);
                searches++;
            }
            if (samples.ItemIds.Count > 0 && i % 4 == 1)
            {
                generation.Similar.Similar(samples.ItemIds[i % samples.ItemIds.Count], user, 10);
                similar++;
            }
            if (user is { } u && i % 8 == 2)
            {
                generation.Recommendations.Recommend(u, 10);
                feeds++;
            }
        }
        return new Report(searches, similar, feeds, sw.Elapsed);
    }

    // Without a query file: the start of sample titles, as a shopper might type them.
    private static List<string> TitleQueries(ICatalog catalog, IReadOnlyList<string> itemIds)
    {
        var list = new List<string>(itemIds.Count);
        foreach (var id in itemIds)
        {
            if (catalog.Get(id)?.Title is { Length: > 0 } title) list.Add(title[..Math.Min(title.Length, 6)]);
        }
        return list;
    }
}
