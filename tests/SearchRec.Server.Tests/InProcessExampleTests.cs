using System.Text.RegularExpressions;
using SearchRec.Collab.Events;
using SearchRec.Examples.InProcess;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>The README's in-process example (examples/InProcess) runs as written against a real shop.</summary>
public sealed class InProcessExampleTests(TinyShop shop) : IClassFixture<TinyShop>
{
    [Fact]
    public async Task The_in_process_example_searches_stores_the_purchase_and_the_users_next_feed_holds_it()
    {
        using var dir = new TempDir();
        var events = dir.File("events.db");
        File.Copy(shop.EventsPath, events);
        long user, before;
        using (var store = new SqliteEventStore(events))
        {
            user = store.ReadAll().First().UserId;
            before = store.Count;
        }
        var output = new StringWriter();

        await Shop.RunAsync(new ShopPaths(shop.IndexPath, dir.File("collab"), events, shop.RankerPath), shop.Queries[0], user, output);

        var text = output.ToString();
        var bought = Regex.Match(text, $@"user {user} bought (\S+)").Groups[1].Value;
        Assert.NotEqual("", bought);
        var sections = text.Split($"user {user} bought {bought}");
        Assert.Matches(@"search '.+' for user \d+:\n  \S+  ", sections[0].ReplaceLineEndings("\n"));
        Assert.DoesNotContain($"  {bought}  ", Section(sections[0], "feed of user"));
        Assert.Contains($"  {bought}  ", Section(sections[1], "feed of user"));
        Assert.Matches(@"similar to \S+ for user \d+:\n  \S+  ", sections[1].ReplaceLineEndings("\n"));
        using (var store = new SqliteEventStore(events)) Assert.Equal(before + 1, store.Count);
        // The empty models folder was trained from the store at load, as `serve` does.
        Assert.True(File.Exists(Path.Combine(dir.File("collab"), "collab.bin")));
    }

    private static string Section(string text, string title)
    {
        var start = text.IndexOf(title, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no '{title}' in:\n{text}");
        var lines = text[start..].ReplaceLineEndings("\n").Split('\n').Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal));
        return string.Join("\n", lines) + "\n";
    }
}
