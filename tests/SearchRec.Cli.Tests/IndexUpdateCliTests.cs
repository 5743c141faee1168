using SearchRec.Cli.Commands;
using SearchRec.Index;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Cli.Tests;

// In EvalCliTests' class: the commands write to the console, which one lock guards.
public sealed partial class EvalCliTests
{
    private const string UpdateCatalog = """
        {"id":"1","title":"华为 Mate 60 手机 5G","brand":"华为","category":"手机数码/手机","price":6999}
        {"id":"2","title":"美的 电饭煲 家用 4L","brand":"美的","category":"家用电器/厨房电器","price":299}
        {"id":"3","title":"三只松鼠 坚果礼盒","brand":"三只松鼠","category":"食品/坚果","price":129}
        """;

    [Fact]
    public void Index_update_adds_replaces_and_removes_products_of_an_index_and_says_what_it_changed()
    {
        using var dir = new TempDir();
        var index = dir.File("index");
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", dir.Write("catalog.jsonl", UpdateCatalog), "--index", index).Code);
        var delta = dir.Write("delta.jsonl", """
            {"id":"2","title":"苏泊尔 电压力锅 家用 5L","brand":"苏泊尔","category":"家用电器/厨房电器","price":359}
            {"id":"4","title":"戴森 吸尘器 无线 手持","brand":"戴森","category":"家用电器/清洁电器","price":2990}
            {"id":"5","title":""}
            """);
        var deletes = dir.Write("gone.txt", "3\n\n  nope  \n");

        var (code, stdout, stderr) = Run(new IndexCommand(), "--update", "--catalog", delta, "--delete", deletes, "--index", index);

        Assert.True(code == 0, stderr);
        Assert.Contains("added 1, replaced 1, removed 1 products; the index holds 3", stdout, StringComparison.Ordinal);
        Assert.Contains($"{delta}:3: field 'title' is empty", stderr, StringComparison.Ordinal);
        Assert.Contains("1 ids to remove were not in the index: nope", stderr, StringComparison.Ordinal);
        using var updated = ProductIndex.Open(index);
        Assert.Equal(359, updated.GetProduct("2")!.Price);
        Assert.Null(updated.GetProduct("3"));
        Assert.Equal("4", updated.Recall(new RecallRequest("吸尘器")).First().ProductId);
    }

    [Fact]
    public void Index_update_refuses_what_it_cannot_do_and_leaves_the_index_as_it_was()
    {
        using var dir = new TempDir();
        var index = dir.File("index");
        Assert.Equal(0, Run(new IndexCommand(), "--catalog", dir.Write("catalog.jsonl", UpdateCatalog), "--index", index).Code);
        var files = Directory.GetFiles(index).ToDictionary(f => f, File.ReadAllBytes);
        var both = dir.Write("both.jsonl", """{"id":"3","title":"三只松鼠 夏威夷果"}""");
        var gone = dir.Write("gone.txt", "3\n");

        (string[] Args, string Message)[] cases =
        [
            (["--update", "--catalog", both, "--delete", gone], $"--delete {gone}:1: product '3' is also in --catalog"),
            (["--update", "--delete", dir.Write("twice.txt", "1\n\n3\n1\n")], $"--delete {dir.File("twice.txt")}:4: id '1' is given twice (first at {dir.File("twice.txt")}:1)"),
            (["--update", "--delete", gone, "--delete", gone], $"--delete {gone}:1: id '3' is given twice (first at {gone}:1)"),
            (["--update"], "--update needs --catalog FILE"),
            (["--update", "--catalog", both, "--analyzer", "bigram"], "--analyzer does not go with --update"),
            (["--catalog", both, "--delete", gone], "--delete goes only with --update"),
            (["--update", "--delete", dir.File("missing.txt")], "file not found"),
            (["--update", "--catalog", dir.Write("bad.jsonl", "{\"id\":\"9\"}\n")], "no product could be read"),
            (["--update", "--delete", dir.Write("empty.txt", "\n  \n")], "no id in"),
        ];
        foreach (var (args, message) in cases)
        {
            var (code, _, stderr) = Run(new IndexCommand(), [.. args, "--index", index]);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}");
            Assert.Contains(message, stderr, StringComparison.Ordinal);
        }
        var (missing, _, missingErr) = Run(new IndexCommand(), "--update", "--catalog", both, "--index", dir.File("none"));
        Assert.Equal(2, missing);
        Assert.Contains("no index to update", missingErr, StringComparison.Ordinal);

        Assert.Equal(files.Keys.Order(), Directory.GetFiles(index).Order());
        foreach (var (file, bytes) in files) Assert.Equal(bytes, File.ReadAllBytes(file));
    }
}
