using System.CommandLine;
using SearchRec.Collab;
using SearchRec.Collab.Events;
using SearchRec.Collab.Models;

namespace SearchRec.Cli.Commands;

/// <summary><c>searchrec similar</c>: items similar to an item (behaviour + content + category), optionally leaning to a user.</summary>
public sealed class SimilarCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var item = new Option<long>("--item") { Description = "The item id.", Required = true };
        var user = new Option<long?>("--user") { Description = "Lean towards this user's tastes (needs --db)." };
        var k = new Option<int>("--k") { Description = "How many items.", DefaultValueFactory = _ => 10 };
        var dir = new Option<string>("--models", "--collab") { Description = "Folder of models saved by train-cf (--collab as serve and recommend call it).", DefaultValueFactory = _ => "models/collab" };
        var db = new Option<string?>("--db", "--events") { Description = "SQLite event store for user histories (serve --events writes it)." };
        var index = new Option<string?>("--index") { Description = "Lucene product index for content neighbours." };
        var cmd = new Command("similar", "Items similar to an item: behavioural neighbours fused with content (MoreLikeThis) and category neighbours.");
        foreach (var o in new Option[] { item, user, k, dir, db, index }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(k) is < 1 or > 1_000) { Console.Error.WriteLine($"similar: --k must be between 1 and 1,000 (was {pr.GetValue(k)})."); return 2; }
            // Without a store there is no history to lean on: the user was ignored and the answer was the anonymous one.
            if (pr.GetValue(user) is not null && pr.GetValue(db) is null) { Console.Error.WriteLine("similar: --user needs --db (the event store holding the user's history)."); return 2; }
            // The store is only read here: opening a missing one (a typo) created an empty store and answered without the user.
            if (pr.GetValue(db) is { } dbPath && !File.Exists(dbPath)) { Console.Error.WriteLine($"similar: --db: {dbPath}: file not found (an event store that `serve` or `import-events` wrote)"); return 2; }
            CollabModels models;
            try { models = CollabModels.Load(pr.GetValue(dir)!); }
            catch (InvalidDataException ex) { Console.Error.WriteLine($"similar: {CliErrors.Message(ex)}"); return 2; }
            using var store = pr.GetValue(db) is string path ? new SqliteEventStore(path) : null;
            using var content = pr.GetValue(index) is string ix ? SearchRec.Index.ProductIndex.Open(ix) : null;
            var similar = new SimilarItems(models, content, store);
            var results = similar.Find(pr.GetValue(item), pr.GetValue(user), pr.GetValue(k));
            if (results.Count == 0)
                Console.WriteLine($"no similar items for {pr.GetValue(item)} ({(content is null ? "unknown to the behaviour models, and no content index given (--index)" : "unknown to the behaviour models and not in the index")})");
            int rank = 1;
            foreach (var r in results) Console.WriteLine($"{rank++,3}  {r.ItemId,12}  {r.Score,8:F4}  {r.SourceNames}");
            return 0;
        });
        return cmd;
    }
}
