using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Synthetic.Internals;

namespace SearchRec.Synthetic;

/// <summary>
/// A seeded, deterministic synthetic Chinese shop: a catalog, users with hidden tastes, and sessions (queries,
/// views, carts, favourites, purchases) driven by those tastes. Queries are ambiguous on purpose (<c>连衣裙</c>,
/// <c>手机</c>) so that which result a user buys depends on their brands, price band and categories.
/// </summary>
/// <remarks>
/// Every product and every user draws from its own random stream, so output does not depend on the order
/// things are asked for. Product ids are <c>1..Products</c>, user ids <c>1..Users</c>.
/// </remarks>
public sealed class ShopGenerator
{
    private const int CategoryIdBase = 1001;
    private const int PageSize = 30;
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ShopOptions _options;
    private readonly ulong _seed;
    private readonly Leaf[] _leaves;
    private readonly string[] _brands;
    private readonly int[] _brandTier;
    private readonly Lazy<Skeleton> _skeleton;
    private readonly Lazy<UserTaste[]> _users;

    /// <summary>Creates a generator; throws <see cref="ArgumentException"/> naming a bad option.</summary>
    public ShopGenerator(ShopOptions options)
    {
        Guard.NotNull(options);
        options.Validate();
        _options = options.Clone();
        _seed = unchecked((ulong)(uint)_options.Seed * 0x2545F4914F6CDD1DUL + 17);
        var leaves = new List<Leaf>();
        var brands = new List<string>();
        var tiers = new List<int>();
        for (var c = 0; c < Vocabulary.Categories.Length; c++)
        {
            var coarse = Vocabulary.Categories[c];
            var first = brands.Count;
            for (var b = 0; b < coarse.Brands.Length; b++)
            {
                brands.Add(coarse.Brands[b]);
                tiers.Add(b * 3 / coarse.Brands.Length); // lists run premium to budget
            }
            foreach (var fine in coarse.Leaves)
                leaves.Add(new Leaf(leaves.Count, CategoryIdBase + leaves.Count, c, coarse, fine, first, coarse.Brands.Length));
        }
        _leaves = [.. leaves];
        _brands = [.. brands];
        _brandTier = [.. tiers];
        Categories = Array.ConvertAll(_leaves, l => new ShopCategory(l.CategoryId, l.Coarse.Name, l.Fine.Name, l.Fine.TypeWords[0]));
        _skeleton = new Lazy<Skeleton>(BuildSkeleton);
        _users = new Lazy<UserTaste[]>(BuildUsers);
    }

    /// <summary>The options this generator uses (a copy).</summary>
    public ShopOptions Options => _options.Clone();

    /// <summary>The leaf categories, in id order.</summary>
    public IReadOnlyList<ShopCategory> Categories { get; }

    /// <summary>Every user's hidden tastes, in user-id order.</summary>
    public IReadOnlyList<UserTaste> Users => _users.Value;

    /// <summary>The catalog, in id order, generated as it is enumerated.</summary>
    public IEnumerable<Product> Products()
    {
        var sk = _skeleton.Value;
        var parts = new TitleParts();
        for (var i = 0; i < _options.Products; i++)
            yield return MakeProduct(sk, i, parts);
    }

    /// <summary>Every behaviour event, grouped by user and in time order within a user.</summary>
    public IEnumerable<UserEvent> Events()
    {
        foreach (var (events, _) in Sessions())
            foreach (var e in events) yield return e;
    }

    /// <summary>Every search query with its user and judgments, in the order of <see cref="Events"/>.</summary>
    public IEnumerable<ShopQuery> Queries()
    {
        foreach (var (_, queries) in Sessions())
            foreach (var q in queries) yield return q;
    }

    // Each user's simulated events and queries, in user-id order, query ids numbered on from 1 across users. The two
    // lists are reused: each is valid only until the next user is asked for.
    private IEnumerable<(List<UserEvent> Events, List<ShopQuery> Queries)> Sessions()
    {
        var events = new List<UserEvent>();
        var queries = new List<ShopQuery>();
        var nextQuery = 1L;
        for (var u = 0; u < _options.Users; u++)
        {
            events.Clear();
            queries.Clear();
            SimulateUser(u, events, queries, ref nextQuery);
            yield return (events, queries);
        }
    }

    /// <summary>
    /// Writes the shop into <paramref name="directory"/> (created if missing): <c>catalog.jsonl</c>,
    /// <c>events.csv</c> (<c>user_id,item_id,category_id,behavior,timestamp</c>, no header), <c>queries.tsv</c>
    /// (<c>qid&lt;TAB&gt;query</c>), <c>qrels.tsv</c> (TREC <c>qid 0 docid grade</c>), <c>queries-users.tsv</c>
    /// (<c>qid&lt;TAB&gt;user_id&lt;TAB&gt;timestamp</c>) and <c>users.jsonl</c> (the hidden tastes).
    /// </summary>
    public ShopFiles Write(string directory, IProgress<ShopProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Guard.NotNull(directory);
        Directory.CreateDirectory(directory);
        var files = new ShopFiles(
            Path.Combine(directory, "catalog.jsonl"), Path.Combine(directory, "events.csv"), Path.Combine(directory, "queries.tsv"),
            Path.Combine(directory, "qrels.tsv"), Path.Combine(directory, "queries-users.tsv"), Path.Combine(directory, "users.jsonl"));

        var sk = _skeleton.Value;
        long products = _options.Products;
        using (var stream = new FileStream(files.Catalog, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16))
        {
            var buffer = new ArrayBufferWriter<byte>(1024);
            using var json = new Utf8JsonWriter(buffer, JsonOptions);
            var parts = new TitleParts();
            for (var i = 0; i < products; i++)
            {
                if ((i & 0xFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    progress?.Report(new ShopProgress("catalog", i, products));
                }
                WriteProductJson(json, MakeProduct(sk, i, parts), _leaves[sk.Leaf[i]].CategoryId);
                json.Flush();
                buffer.Write("\n"u8);
                stream.Write(buffer.WrittenSpan);
                buffer.ResetWrittenCount();
                json.Reset();
            }
            progress?.Report(new ShopProgress("catalog", products, products));
        }

        var users = _users.Value;
        long eventCount = 0, queryCount = 0, nextQuery = 1;
        using (var ev = Writer(files.Events))
        using (var qs = Writer(files.Queries))
        using (var qrels = Writer(files.Qrels))
        using (var qu = Writer(files.QueryUsers))
        {
            var events = new List<UserEvent>();
            var queries = new List<ShopQuery>();
            for (var u = 0; u < users.Length; u++)
            {
                if ((u & 0xFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    progress?.Report(new ShopProgress("sessions", u, users.Length));
                }
                events.Clear();
                queries.Clear();
                SimulateUser(u, events, queries, ref nextQuery);
                foreach (var e in events)
                {
                    ev.Write(e.ToString());
                    ev.Write('\n');
                }
                foreach (var q in queries)
                {
                    qs.Write(q.QueryId); qs.Write('\t'); qs.Write(q.Text); qs.Write('\n');
                    qu.Write(q.QueryId); qu.Write('\t'); qu.Write(q.UserId.ToString(CultureInfo.InvariantCulture)); qu.Write('\t');
                    qu.Write(q.Timestamp.ToString(CultureInfo.InvariantCulture)); qu.Write('\n');
                    foreach (var j in q.Judgments)
                    {
                        qrels.Write(q.QueryId); qrels.Write(" 0 "); qrels.Write(j.ItemId); qrels.Write(' ');
                        qrels.Write(j.Grade.ToString(CultureInfo.InvariantCulture)); qrels.Write('\n');
                    }
                }
                eventCount += events.Count;
                queryCount += queries.Count;
            }
            progress?.Report(new ShopProgress("sessions", users.Length, users.Length));
        }

        using (var stream = new FileStream(files.Users, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16))
        {
            var buffer = new ArrayBufferWriter<byte>(512);
            using var json = new Utf8JsonWriter(buffer, JsonOptions);
            foreach (var t in users)
            {
                json.WriteStartObject();
                json.WriteNumber("user_id", t.UserId);
                json.WriteStartArray("category_ids");
                foreach (var c in t.CategoryIds) json.WriteNumberValue(c);
                json.WriteEndArray();
                json.WriteStartArray("category_weights");
                foreach (var w in t.CategoryWeights) json.WriteNumberValue(Math.Round(w, 4));
                json.WriteEndArray();
                json.WriteStartArray("brands");
                foreach (var b in t.Brands) json.WriteStringValue(b);
                json.WriteEndArray();
                json.WriteNumber("price_band", t.PriceBand);
                json.WriteEndObject();
                json.Flush();
                buffer.Write("\n"u8);
                stream.Write(buffer.WrittenSpan);
                buffer.ResetWrittenCount();
                json.Reset();
            }
        }
        return files with { ProductCount = products, EventCount = eventCount, QueryCount = queryCount };
    }

    private static StreamWriter Writer(string path) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), new UTF8Encoding(false)) { NewLine = "\n" };

    private static void WriteProductJson(Utf8JsonWriter json, Product p, int categoryId)
    {
        json.WriteStartObject();
        json.WriteString("id", p.Id);
        json.WriteString("title", p.Title);
        if (p.Brand is not null) json.WriteString("brand", p.Brand);
        json.WriteStartArray("category");
        foreach (var c in p.Category) json.WriteStringValue(c);
        json.WriteEndArray();
        json.WriteNumber("category_id", categoryId);
        json.WriteStartObject("attributes");
        foreach (var (name, values) in p.Attributes)
        {
            json.WriteStartArray(name);
            foreach (var v in values) json.WriteStringValue(v);
            json.WriteEndArray();
        }
        json.WriteEndObject();
        if (p.Price is { } price) json.WriteNumber("price", (decimal)price);
        json.WriteEndObject();
    }

    // ---- catalog ----

    private sealed record Leaf(int Index, int CategoryId, int CoarseIndex, CoarseSpec Coarse, FineSpec Fine, int FirstBrand, int BrandCount);

    /// <summary>What sessions need of every product, in flat arrays (a 1M catalog is ~15 MB).</summary>
    private sealed class Skeleton(int n)
    {
        public readonly ushort[] Leaf = new ushort[n];
        public readonly ushort[] Brand = new ushort[n];
        public readonly byte[] TypeWord = new byte[n];
        public readonly byte[] MainValue = new byte[n];
        public readonly byte[] Band = new byte[n];
        public readonly float[] Position = new float[n];
        public readonly float[] Quality = new float[n];
        public int[][] ByLeaf = [];
    }

    private Skeleton BuildSkeleton()
    {
        var n = _options.Products;
        var sk = new Skeleton(n);
        // Leaves get uneven sizes, as real shops do.
        var weightRng = new Rng(_seed, 1);
        var cumulative = new double[_leaves.Length];
        double total = 0;
        for (var l = 0; l < _leaves.Length; l++) { total += 0.4 + weightRng.NextDouble() * 1.6; cumulative[l] = total; }
        var counts = new int[_leaves.Length];
        for (var i = 0; i < n; i++)
        {
            var rng = new Rng(_seed, 0x1000_0000UL + (ulong)i);
            var x = rng.NextDouble() * total;
            var leafIndex = Array.BinarySearch(cumulative, x);
            if (leafIndex < 0) leafIndex = ~leafIndex;
            if (leafIndex >= _leaves.Length) leafIndex = _leaves.Length - 1;
            var leaf = _leaves[leafIndex];
            var brand = leaf.FirstBrand + rng.Next(leaf.BrandCount);
            var tier = _brandTier[brand];
            // Premium brands sit high in the leaf's price range, budget brands low, with overlap.
            var pos = Math.Clamp(((2 - tier) + rng.NextDouble() * 1.6 - 0.3) / 3.0, 0, 0.999);
            var typeWord = rng.Chance(0.6) ? 0 : rng.Next(leaf.Fine.TypeWords.Length);
            sk.Leaf[i] = (ushort)leafIndex;
            sk.Brand[i] = (ushort)brand;
            sk.TypeWord[i] = (byte)typeWord;
            sk.MainValue[i] = (byte)rng.Next(leaf.Fine.Attributes[0].Values.Length);
            sk.Position[i] = (float)pos;
            sk.Band[i] = (byte)(pos * 3);
            sk.Quality[i] = (float)(rng.NextDouble() + rng.NextDouble() - 1);
            counts[leafIndex]++;
        }
        sk.ByLeaf = new int[_leaves.Length][];
        for (var l = 0; l < _leaves.Length; l++) sk.ByLeaf[l] = new int[counts[l]];
        Array.Clear(counts);
        for (var i = 0; i < n; i++) sk.ByLeaf[sk.Leaf[i]][counts[sk.Leaf[i]]++] = i;
        return sk;
    }

    private sealed class TitleParts
    {
        public readonly List<string> Parts = new(12);
        public readonly List<bool> Optional = new(12);
        public readonly StringBuilder Builder = new(64);
        public void Add(string part, bool optional)
        {
            // A word twice (e.g. 家用 as marketing and as a feature) reads as a generator, not a shop.
            if (optional && Parts.Contains(part)) return;
            Parts.Add(part);
            Optional.Add(optional);
        }
    }

    private Product MakeProduct(Skeleton sk, int i, TitleParts t)
    {
        var leaf = _leaves[sk.Leaf[i]];
        var fine = leaf.Fine;
        var rng = new Rng(_seed, 0x2000_0000UL + (ulong)i);
        var brand = _brands[sk.Brand[i]];
        var attributes = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        t.Parts.Clear();
        t.Optional.Clear();

        t.Add(brand, false);
        if (rng.Chance(0.35)) t.Add(rng.Pick(Vocabulary.Marketing), true);
        var main = fine.Attributes[0].Values[sk.MainValue[i]];
        attributes[fine.Attributes[0].Name] = [main];
        var extra = 1 + rng.Next(Math.Min(3, fine.Attributes.Length - 1));
        var mainFirst = rng.Chance(0.5);
        if (mainFirst) t.Add(main, false);
        for (var k = 0; k < extra; k++)
        {
            var spec = fine.Attributes[1 + rng.Next(fine.Attributes.Length - 1)];
            if (attributes.ContainsKey(spec.Name)) continue;
            var value = rng.Pick(spec.Values);
            attributes[spec.Name] = [value];
            t.Add(value, true);
        }
        if (rng.Chance(0.5)) t.Add(rng.Pick(leaf.Coarse.Marketing), true);
        if (!mainFirst) t.Add(main, false);
        t.Add(fine.TypeWords[sk.TypeWord[i]], false);
        if (rng.Chance(0.75))
        {
            var model = ExpandModel(rng.Pick(fine.Models), ref rng);
            attributes["型号"] = [model];
            t.Add(model, true);
        }
        var suffixes = rng.Next(3);
        for (var k = 0; k < suffixes; k++) t.Add(rng.Pick(Vocabulary.Marketing), true);

        // Taobao titles run about 20-40 characters: drop optional words while too long, pad while too short.
        while (Length(t) > 40)
        {
            var drop = -1;
            for (var k = t.Parts.Count - 1; k >= 0; k--) if (t.Optional[k]) { drop = k; break; }
            if (drop < 0) break;
            t.Parts.RemoveAt(drop);
            t.Optional.RemoveAt(drop);
        }
        for (var k = 0; k < 4 && Length(t) - (t.Parts.Count - 1) < 20; k++) t.Add(rng.Pick(Vocabulary.Marketing), true);

        var sb = t.Builder.Clear();
        for (var k = 0; k < t.Parts.Count; k++)
        {
            if (k > 0 && (rng.Chance(0.55) || IsAsciiEnd(sb) && IsAsciiStart(t.Parts[k]))) sb.Append(' ');
            sb.Append(t.Parts[k]);
        }

        var price = leaf.Fine.PriceLow * Math.Pow(leaf.Fine.PriceHigh / leaf.Fine.PriceLow, sk.Position[i]);
        price = price >= 30 ? Math.Floor(price / 10) * 10 + 9 : Math.Floor(price) + 0.9;
        return new Product((i + 1).ToString(CultureInfo.InvariantCulture), sb.ToString(), brand,
            [leaf.Coarse.Name, fine.Name], attributes, price);
    }

    private static int Length(TitleParts t)
    {
        var n = t.Parts.Count - 1;
        foreach (var p in t.Parts) n += p.Length;
        return n;
    }

    private static bool IsAsciiEnd(StringBuilder sb) => sb.Length > 0 && char.IsAsciiLetterOrDigit(sb[^1]);

    private static bool IsAsciiStart(string s) => s.Length > 0 && char.IsAsciiLetterOrDigit(s[0]);

    private static string ExpandModel(string template, ref Rng rng)
    {
        Span<char> buf = stackalloc char[template.Length];
        for (var k = 0; k < template.Length; k++)
        {
            buf[k] = template[k] switch
            {
                '@' => (char)('A' + rng.Next(26)),
                '%' => (char)('a' + rng.Next(26)),
                '#' => (char)('0' + rng.Next(10)),
                '$' => (char)('1' + rng.Next(9)),
                var c => c,
            };
        }
        return new string(buf);
    }

    // ---- users and sessions ----

    private UserTaste[] BuildUsers()
    {
        var users = new UserTaste[_options.Users];
        for (var u = 0; u < users.Length; u++)
        {
            var rng = new Rng(_seed, 0x3000_0000UL + (ulong)u);
            var cats = new int[3];
            cats[0] = rng.Next(_leaves.Length);
            do
            {
                // Half the users keep their second favourite within the first one's top category.
                if (rng.Chance(0.5))
                {
                    var coarse = _leaves[cats[0]].CoarseIndex;
                    var first = Array.FindIndex(_leaves, l => l.CoarseIndex == coarse);
                    var count = Vocabulary.Categories[coarse].Leaves.Length;
                    cats[1] = first + rng.Next(count);
                }
                else cats[1] = rng.Next(_leaves.Length);
            } while (cats[1] == cats[0]);
            do cats[2] = rng.Next(_leaves.Length); while (cats[2] == cats[0] || cats[2] == cats[1]);

            var raw = new[] { 0.5 + rng.NextDouble() * 0.3, 0.25 + rng.NextDouble() * 0.15, 0.1 + rng.NextDouble() * 0.1 };
            var sum = raw[0] + raw[1] + raw[2];
            var weights = new double[3];
            for (var k = 0; k < 3; k++) weights[k] = raw[k] / sum * (1 - RandomCategoryShare);

            // Two favourite brands in each top category the favourite leaves belong to.
            var brands = new List<string>();
            var coarseDone = new List<int>(3);
            foreach (var c in cats)
            {
                var leaf = _leaves[c];
                if (coarseDone.Contains(leaf.CoarseIndex)) continue;
                coarseDone.Add(leaf.CoarseIndex);
                var b1 = rng.Next(leaf.BrandCount);
                var b2 = (b1 + 1 + rng.Next(leaf.BrandCount - 1)) % leaf.BrandCount;
                brands.Add(_brands[leaf.FirstBrand + b1]);
                brands.Add(_brands[leaf.FirstBrand + b2]);
            }
            users[u] = new UserTaste(u + 1, Array.ConvertAll(cats, c => _leaves[c].CategoryId), weights, brands, rng.Next(3));
        }
        return users;
    }

    private const double RandomCategoryShare = 0.15;

    private void SimulateUser(int u, List<UserEvent> events, List<ShopQuery> queries, ref long nextQuery)
    {
        var sk = _skeleton.Value;
        var taste = _users.Value[u];
        var rng = new Rng(_seed, 0x4000_0000UL + (ulong)u);
        var favBrands = new HashSet<int>();
        foreach (var b in taste.Brands) favBrands.Add(Array.IndexOf(_brands, b));

        var mean = _options.SessionsPerUser;
        var sessions = Math.Max(1, mean / 2 + rng.Next(mean + 1));
        var start = _options.StartTime.ToUnixTimeSeconds();
        var span = (long)_options.Days * 86_400;
        var starts = new long[sessions];
        for (var s = 0; s < sessions; s++) starts[s] = start + (long)(rng.NextDouble() * (span - 3_600));
        Array.Sort(starts);

        Span<int> page = stackalloc int[PageSize];
        Span<double> utility = stackalloc double[PageSize];
        var seen = new Dictionary<int, int>();
        var lastTime = 0L;
        for (var s = 0; s < sessions; s++)
        {
            // Sessions never overlap, so a user's events stay in time order.
            var sessionStart = Math.Max(starts[s], lastTime + 30);
            var leafIndex = PickLeaf(taste, ref rng);
            var leaf = _leaves[leafIndex];
            var pool = sk.ByLeaf[leafIndex];
            if (pool.Length == 0) continue;
            var isSearch = rng.Chance(_options.SearchShare);

            string? query = null;
            var n = 0;
            if (isSearch)
            {
                var word = rng.Chance(0.6) ? 0 : rng.Next(leaf.Fine.TypeWords.Length);
                var kind = rng.NextDouble();
                var mainValue = -1;
                var brand = -1;
                if (kind >= 0.5 && kind < 0.8) mainValue = rng.Next(leaf.Fine.Attributes[0].Values.Length);
                else if (kind >= 0.8)
                {
                    brand = leaf.FirstBrand + rng.Next(leaf.BrandCount);
                    if (rng.Chance(0.7))
                        foreach (var b in favBrands) if (b >= leaf.FirstBrand && b < leaf.FirstBrand + leaf.BrandCount) { brand = b; break; }
                }
                n = FillPage(sk, pool, word, mainValue, brand, page, ref rng);
                if (n == 0 && (mainValue >= 0 || brand >= 0))
                {
                    mainValue = brand = -1;
                    n = FillPage(sk, pool, word, -1, -1, page, ref rng);
                }
                if (n == 0) continue;
                var typeWord = leaf.Fine.TypeWords[word];
                var sep = rng.Chance(0.5) ? " " : "";
                query = mainValue >= 0 ? leaf.Fine.Attributes[0].Values[mainValue] + sep + typeWord
                    : brand >= 0 ? _brands[brand] + sep + typeWord
                    : typeWord;
            }
            else n = FillPage(sk, pool, -1, -1, -1, page, ref rng);

            // Utility: favourite brand, price band fit and product quality, plus Gumbel noise (a softmax choice).
            for (var k = 0; k < n; k++)
            {
                var p = page[k];
                var bandGap = Math.Abs(sk.Band[p] - taste.PriceBand);
                utility[k] = (favBrands.Contains(sk.Brand[p]) ? 1.6 : 0)
                    + (bandGap == 0 ? 1.0 : bandGap == 1 ? 0.3 : 0)
                    + 0.6 * sk.Quality[p]
                    + 0.6 * rng.Gumbel();
            }
            SortByUtility(page[..n], utility[..n]);

            var views = 1;
            while (views < Math.Min(8, n) && rng.Chance(0.55)) views++;
            var t = sessionStart;
            seen.Clear();
            var category = leaf.CategoryId;
            for (var k = 0; k < views; k++)
            {
                var p = page[k];
                t += 5 + rng.Next(90);
                events.Add(new UserEvent(taste.UserId, p + 1, category, Behavior.View, t));
                Grade(seen, p, 1);
                if (rng.Chance(0.06 + (favBrands.Contains(sk.Brand[p]) ? 0.06 : 0)))
                {
                    t += 2 + rng.Next(20);
                    events.Add(new UserEvent(taste.UserId, p + 1, category, Behavior.Favorite, t));
                }
            }
            var best = page[0];
            var buyChance = utility[0] > 1.5 ? 0.55 : utility[0] > 0.8 ? 0.35 : 0.12;
            if (!isSearch) buyChance *= 0.4;
            var cartChance = buyChance + 0.1;
            if (rng.Chance(cartChance))
            {
                t += 5 + rng.Next(60);
                events.Add(new UserEvent(taste.UserId, best + 1, category, Behavior.Cart, t));
                Grade(seen, best, 1);
                if (rng.Chance(buyChance / cartChance))
                {
                    t += 10 + rng.Next(300);
                    events.Add(new UserEvent(taste.UserId, best + 1, category, Behavior.Buy, t));
                    Grade(seen, best, 2);
                }
            }

            if (query is not null)
            {
                var judgments = new List<ShopJudgment>(seen.Count);
                for (var k = 0; k < views; k++)
                    if (seen.TryGetValue(page[k], out var g)) judgments.Add(new ShopJudgment((page[k] + 1).ToString(CultureInfo.InvariantCulture), g));
                queries.Add(new ShopQuery(nextQuery.ToString(CultureInfo.InvariantCulture), query, taste.UserId, sessionStart, judgments));
                nextQuery++;
            }
            lastTime = t;
        }
    }

    private static void Grade(Dictionary<int, int> seen, int product, int grade)
    {
        if (!seen.TryGetValue(product, out var g) || g < grade) seen[product] = grade;
    }

    private int PickLeaf(UserTaste taste, ref Rng rng)
    {
        var x = rng.NextDouble();
        for (var k = 0; k < taste.CategoryIds.Count; k++)
        {
            x -= taste.CategoryWeights[k];
            if (x < 0) return taste.CategoryIds[k] - CategoryIdBase;
        }
        return rng.Next(_leaves.Length);
    }

    /// <summary>A results page: up to <see cref="PageSize"/> distinct products of the pool that pass the filters (-1 = any).</summary>
    private static int FillPage(Skeleton sk, int[] pool, int word, int mainValue, int brand, Span<int> page, ref Rng rng)
    {
        var n = 0;
        var tries = Math.Min(pool.Length * 3, PageSize * 25);
        for (var k = 0; k < tries && n < page.Length; k++)
        {
            var p = pool[rng.Next(pool.Length)];
            if (word >= 0 && sk.TypeWord[p] != word) continue;
            if (mainValue >= 0 && sk.MainValue[p] != mainValue) continue;
            if (brand >= 0 && sk.Brand[p] != brand) continue;
            if (page[..n].Contains(p)) continue;
            page[n++] = p;
        }
        return n;
    }

    private static void SortByUtility(Span<int> items, Span<double> utility)
    {
        // Insertion sort, best first: pages are at most 30 long.
        for (var i = 1; i < items.Length; i++)
        {
            var u = utility[i];
            var p = items[i];
            var j = i - 1;
            while (j >= 0 && utility[j] < u)
            {
                utility[j + 1] = utility[j];
                items[j + 1] = items[j];
                j--;
            }
            utility[j + 1] = u;
            items[j + 1] = p;
        }
    }
}
