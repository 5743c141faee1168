using SearchRec.Core;

namespace SearchRec.Testing;

/// <summary>Six products (phones, a tablet, a case, dresses) and three judged queries over them, for ranking tests.</summary>
public static class TinyCatalog
{
    /// <summary>The products; the first three have brand, category, attributes and price.</summary>
    public static readonly Product[] Products =
    [
        new("1", "华为 手机 Mate60 黑色", "华为", ["数码", "手机"], new Dictionary<string, IReadOnlyList<string>> { ["颜色"] = ["黑色"] }, 5999),
        new("2", "小米 手机 红米 note", "小米", ["数码", "手机"], new Dictionary<string, IReadOnlyList<string>>(), 1299),
        new("3", "华为 平板 MatePad", "华为", ["数码", "平板"], new Dictionary<string, IReadOnlyList<string>>(), 2999),
        Product.Of("4", "手机壳 硅胶 防摔"),
        Product.Of("5", "连衣裙 夏季 碎花"),
        Product.Of("6", "黑色 连衣裙 长款"),
    ];

    /// <summary>
    /// Pre-segmented queries and their relevant product. The second one's relevant title is not its best text match,
    /// so a learned ranker has a use for other signals.
    /// </summary>
    public static readonly (string Text, string Doc)[] Judged = [("黑色 手机", "1"), ("碎花 连衣裙", "6"), ("华为 平板", "3")];

    /// <summary>
    /// <paramref name="count"/> judged queries <c>q0, q1, …</c> cycling through <see cref="Judged"/>, and their qrels
    /// (the relevant product at grade 2).
    /// </summary>
    public static (List<(string Id, string Text)> Queries, Dictionary<string, Dictionary<string, int>> Qrels) Repeat(int count)
    {
        var queries = new List<(string, string)>(count);
        var qrels = new Dictionary<string, Dictionary<string, int>>();
        for (var i = 0; i < count; i++)
        {
            var (text, doc) = Judged[i % Judged.Length];
            queries.Add(("q" + i, text));
            qrels["q" + i] = new() { [doc] = 2 };
        }
        return (queries, qrels);
    }
}
