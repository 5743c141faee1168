using System.CommandLine;
using System.Globalization;
using SearchRec.Collab.Models;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.NextItem;

namespace SearchRec.Cli.Commands;

/// <summary>
/// <c>searchrec recommend</c>: one user's feed as the service would answer it — the next-item ranker's order of the
/// collaborative pool (<c>--feed-ranker</c>), or the blend — from the user's events before a time, with the features
/// that moved each item most (<c>--explain</c>).
/// </summary>
public sealed class RecommendCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var user = new Option<long>("--user") { Description = "The user.", Required = true };
        var events = new Option<string[]>("--events") { Description = "Event CSV file(s) or a service's event store (events.db) holding the user's history.", Required = true, AllowMultipleArgumentsPerToken = true };
        var collab = new Option<string>("--collab") { Description = "Collaborative models folder (from train-cf), used as given: to look back at --at without what followed, train them on the events before it.", Required = true };
        var feedRanker = new Option<string?>("--feed-ranker") { Description = "Next-item ranker folder (from train-ranker --events … --cut …). Without it: the collaborative blend, as the service answers without one." };
        var at = new Option<string?>("--at") { Description = "Read the history (and item activity) as of this time: Unix seconds or ISO 8601. Default: just after the last event." };
        var k = new Option<int>("--k") { Description = "How many items.", DefaultValueFactory = _ => 10 };
        var explain = new Option<bool>("--explain") { Description = "With --feed-ranker: each item's largest feature contributions (FastTree's: the score minus what the other branch at each split would give; the remainder makes the parts add up)." };
        var cmd = new Command("recommend", "One user's recommendations: a next-item ranker's order of the collaborative candidates, or the blend, with explanations.");
        foreach (var o in new Option[] { user, events, collab, feedRanker, at, k, explain }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            try
            {
                var top = pr.GetValue(k);
                if (top is < 1 or > 1_000) throw new ArgumentException($"--k must be between 1 and 1,000 (was {top}).");
                var rankerDir = pr.GetValue(feedRanker);
                if (pr.GetValue(explain) && rankerDir is null) throw new ArgumentException("--explain explains a ranker's scores: give --feed-ranker as well.");
                if (rankerDir is not null && !Directory.Exists(rankerDir)) throw new DirectoryNotFoundException($"--feed-ranker: {rankerDir}: no such folder");
                var collabDir = pr.GetValue(collab)!;
                if (!Directory.Exists(collabDir)) throw new DirectoryNotFoundException($"--collab: {collabDir}: no such folder (train one with `searchrec train-cf`)");
                var all = EventFiles.Read(pr.GetValue(events)!);
                long asOf = pr.GetValue(at) is { } text ? EventFiles.ParseTime(text, "--at") : (all.Count > 0 ? all.Max(e => e.Timestamp) + 1 : DateTimeOffset.UtcNow.ToUnixTimeSeconds());
                var id = pr.GetValue(user);
                var mine = all.Where(e => e.UserId == id && e.Timestamp < asOf).OrderByDescending(e => e.Timestamp).ToArray();
                var models = CollabModels.Load(collabDir);
                var history = new UserHistory(id, mine, asOf);
                var when = DateTimeOffset.FromUnixTimeSeconds(asOf).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                if (mine.Length == 0)
                {
                    // A cold user gets popular items, as the service answers them, with or without a feed ranker.
                    Console.WriteLine($"user {id}: no events before {when}; popular items");
                    Print(models.Popularity.TopK(history, top), "popularity");
                    return 0;
                }
                Console.WriteLine($"user {id}: {mine.Length:N0} events before {when}, the last on item {mine[0].ItemId} ({mine[0].Behavior})");
                if (rankerDir is null)
                {
                    Print(models.Blend.TopK(history, top), "blend");
                    return 0;
                }
                using var feed = NextItemRecommender.Open(rankerDir, models, ItemActivity.Build(all, asOf));
                if (!pr.GetValue(explain))
                {
                    Print(feed.Recommend(history, top), "fused");
                    return 0;
                }
                var rank = 1;
                foreach (var x in feed.Explain(history, top))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rank++,3}  {x.ItemId,12}  {x.Score,9:F4}  fused"));
                    foreach (var c in x.Top)
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"       {c.Feature,-24} {ExplainText.Value(c.Value, "G4"),10}  {c.Contribution,+9:+0.0000;-0.0000}"));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"       {"(the other features)",-24} {"",10}  {x.Score - x.Unexplained - x.Top.Sum(c => c.Contribution),+9:+0.0000;-0.0000}"));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"       {"(remainder)",-24} {"",10}  {x.Unexplained,+9:+0.0000;-0.0000}"));
                }
                return 0;
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or InvalidDataException)
            {
                Console.Error.WriteLine($"recommend: {CliErrors.Message(ex)}");
                return 2;
            }
        });
        return cmd;
    }

    private static void Print(IReadOnlyList<ScoredItem> items, string source)
    {
        var rank = 1;
        foreach (var x in items) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rank++,3}  {x.ItemId,12}  {x.Score,9:F4}  {source}"));
        if (items.Count == 0) Console.WriteLine($"no {source} items");
    }
}
