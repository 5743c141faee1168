using System.Globalization;
using SearchRec.Core.Catalog;
using SearchRec.Core.Events;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Synthetic.Tests;

public sealed class ShopGeneratorTests
{
    private static ShopOptions Small(int seed = 7) => new() { Products = 3_000, Users = 300, SessionsPerUser = 12, Seed = seed };

    private static readonly string[] FileNames = ["catalog.jsonl", "events.csv", "queries.tsv", "qrels.tsv", "queries-users.tsv", "users.jsonl"];

    [Fact]
    public void The_same_seed_writes_byte_identical_files()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        new ShopGenerator(Small()).Write(a.Path);
        new ShopGenerator(Small()).Write(b.Path);
        foreach (var name in FileNames)
            Assert.True(File.ReadAllBytes(a.File(name)).AsSpan().SequenceEqual(File.ReadAllBytes(b.File(name))), name + " differs");
    }

    [Fact]
    public void A_different_seed_writes_a_different_shop()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        new ShopGenerator(Small(1)).Write(a.Path);
        new ShopGenerator(Small(2)).Write(b.Path);
        foreach (var name in FileNames)
            Assert.False(File.ReadAllBytes(a.File(name)).AsSpan().SequenceEqual(File.ReadAllBytes(b.File(name))), name + " is the same");
    }

    [Fact]
    public void The_written_catalog_reimports_with_no_problems_and_matches_the_enumerated_products()
    {
        using var dir = new TempDir();
        var generator = new ShopGenerator(Small());
        var files = generator.Write(dir.Path);

        var import = CatalogReader.ReadFiles([files.Catalog]);

        Assert.Empty(import.Problems);
        Assert.Equal(3_000, import.Products.Count);
        var expected = generator.Products().ToList();
        for (var i = 0; i < expected.Count; i++)
        {
            var p = import.Products[i];
            Assert.Equal((i + 1).ToString(CultureInfo.InvariantCulture), p.Id);
            Assert.Equal(expected[i].Title, p.Title);
            Assert.Equal(expected[i].Brand, p.Brand);
            Assert.Equal(expected[i].Category, p.Category);
            Assert.Equal(expected[i].Price, p.Price);
            Assert.Equal(expected[i].Attributes.Count, p.Attributes.Count);
        }
    }

    [Fact]
    public void Titles_look_like_taobao_titles_with_brand_type_word_and_varied_vocabulary()
    {
        var generator = new ShopGenerator(Small());
        var products = generator.Products().ToList();
        var lengths = products.Select(p => p.Title.Length).ToArray();
        Assert.True(lengths.Average() is > 20 and < 34, $"mean title length {lengths.Average():F1}");
        Assert.True(lengths.Max() <= 48, $"longest title {lengths.Max()}");
        Assert.All(products, p => Assert.StartsWith(p.Brand!, p.Title, StringComparison.Ordinal));
        Assert.All(products, p => Assert.InRange(p.Price!.Value, 1, 30_000));
        // Enough distinct titles and characters that BM25 has something to tell apart.
        Assert.True(products.Select(p => p.Title).Distinct().Count() > 2_900);
        Assert.True(products.SelectMany(p => p.Title).Distinct().Count() > 600);
        Assert.Contains(products, p => p.Attributes.ContainsKey("型号"));
    }

    [Fact]
    public void Events_name_catalog_items_with_their_category_and_stay_in_time_order_per_user()
    {
        var options = Small();
        var generator = new ShopGenerator(options);
        var products = generator.Products().ToList();
        var categoryByName = generator.Categories.ToDictionary(c => c.Fine, c => c.Id);
        var events = generator.Events().ToList();

        Assert.NotEmpty(events);
        var start = options.StartTime.ToUnixTimeSeconds();
        var end = start + options.Days * 86_400L;
        UserEvent? previous = null;
        foreach (var e in events)
        {
            Assert.InRange(e.ItemId, 1, products.Count);
            Assert.Equal(categoryByName[products[(int)e.ItemId - 1].Category[1]], e.CategoryId);
            Assert.InRange(e.Timestamp, start, end);
            if (previous is { } p && p.UserId == e.UserId) Assert.True(e.Timestamp >= p.Timestamp);
            previous = e;
        }
        Assert.Contains(events, e => e.Behavior == Behavior.Buy);
        Assert.Contains(events, e => e.Behavior == Behavior.Cart);
        Assert.Contains(events, e => e.Behavior == Behavior.Favorite);
    }

    [Fact]
    public void Purchases_concentrate_in_each_users_favourite_categories_far_above_chance()
    {
        var generator = new ShopGenerator(Small());
        var tastes = generator.Users.ToDictionary(u => u.UserId);
        var buys = generator.Events().Where(e => e.Behavior == Behavior.Buy).ToList();

        Assert.True(buys.Count > 300, $"only {buys.Count} purchases");
        var inFavourite = buys.Count(e => tastes[e.UserId].CategoryIds.Contains((int)e.CategoryId));
        var chance = 3.0 / generator.Categories.Count;
        Assert.True(inFavourite / (double)buys.Count > 0.75, $"share in favourite categories {inFavourite / (double)buys.Count:F2} (chance {chance:F2})");
    }

    [Fact]
    public void Purchases_favour_each_users_brands_and_price_band_over_what_they_were_shown()
    {
        var generator = new ShopGenerator(Small());
        var products = generator.Products().ToList();
        var tastes = generator.Users.ToDictionary(u => u.UserId);
        var events = generator.Events().ToList();

        double Share(Behavior b) =>
            events.Where(e => e.Behavior == b).Average(e => tastes[e.UserId].Brands.Contains(products[(int)e.ItemId - 1].Brand!) ? 1.0 : 0.0);

        // Views are already the user's best picks from a page; purchases are the very best, so even more on-brand.
        var viewShare = Share(Behavior.View);
        var buyShare = Share(Behavior.Buy);
        Assert.True(buyShare > viewShare + 0.05, $"favourite-brand share: views {viewShare:F2}, buys {buyShare:F2}");
        Assert.True(buyShare > 0.4, $"favourite-brand share of purchases {buyShare:F2}; two of ~12 brands would be 0.17 by chance");
    }

    [Fact]
    public void Queries_are_ambiguous_and_users_buy_different_items_for_the_same_query()
    {
        var generator = new ShopGenerator(Small());
        var queries = generator.Queries().ToList();

        Assert.All(queries, q => Assert.NotEmpty(q.Judgments));
        Assert.Equal(queries.Count, queries.Select(q => q.QueryId).Distinct().Count());
        var top = queries.GroupBy(q => q.Text).OrderByDescending(g => g.Count()).First();
        Assert.True(top.Count() >= 20, $"most common query '{top.Key}' only {top.Count()} times");
        var bought = top.SelectMany(q => q.Judgments).Where(j => j.Grade == 2).Select(j => j.ItemId).ToList();
        Assert.True(bought.Distinct().Count() > bought.Count / 2, $"'{top.Key}': {bought.Count} purchases of {bought.Distinct().Count()} items");
    }

    [Fact]
    public void Query_files_agree_with_each_other_and_with_the_enumerated_queries()
    {
        using var dir = new TempDir();
        var generator = new ShopGenerator(Small());
        var files = generator.Write(dir.Path);
        var queries = generator.Queries().ToList();

        var queryLines = File.ReadAllLines(files.Queries);
        var userLines = File.ReadAllLines(files.QueryUsers);
        Assert.Equal(queries.Count, queryLines.Length);
        Assert.Equal(queries.Count, files.QueryCount);
        Assert.Equal(queries.Select(q => $"{q.QueryId}\t{q.Text}"), queryLines);
        Assert.Equal(queries.Select(q => $"{q.QueryId}\t{q.UserId}\t{q.Timestamp}"), userLines);
        var qrels = File.ReadAllLines(files.Qrels);
        Assert.Equal(queries.Sum(q => q.Judgments.Count), qrels.Length);
        Assert.All(qrels, l => Assert.Matches(@"^\d+ 0 \d+ [12]$", l));
        Assert.Equal(generator.Events().Count(), File.ReadAllLines(files.Events).Length);
    }

    [Theory]
    [InlineData(nameof(ShopOptions.Products))]
    [InlineData(nameof(ShopOptions.Users))]
    [InlineData(nameof(ShopOptions.SessionsPerUser))]
    [InlineData(nameof(ShopOptions.SearchShare))]
    [InlineData(nameof(ShopOptions.Days))]
    public void Bad_options_are_rejected_with_the_field_named(string field)
    {
        var options = new ShopOptions();
        switch (field)
        {
            case nameof(ShopOptions.Products): options.Products = 5; break;
            case nameof(ShopOptions.Users): options.Users = 0; break;
            case nameof(ShopOptions.SessionsPerUser): options.SessionsPerUser = -1; break;
            case nameof(ShopOptions.SearchShare): options.SearchShare = 1.5; break;
            case nameof(ShopOptions.Days): options.Days = 0; break;
        }
        var e = Assert.Throws<ArgumentException>(() => new ShopGenerator(options));
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
    }
}
