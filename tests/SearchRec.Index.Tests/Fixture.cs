using SearchRec.Core;

namespace SearchRec.Index.Tests;

internal static class Fixture
{
    /// <summary>Puts back the recall-splitting knobs a test changed, so the shared fixture index is as built.</summary>
    public static void RestoreRecallSplitting(this ProductIndex index)
    {
        index.RecallCores = Environment.ProcessorCount;
        index.RecallParallelism = index.Options.RecallParallelism;
        index.RecallParallelMinPostings = SearchRec.Index.Internals.MaxScoreEvaluator.DefaultParallelMinPostings;
    }

    private static Product P(string id, string title, string? brand, string[] category, double? price, params (string Name, string Value)[] attrs)
    {
        var a = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var (name, value) in attrs) a[name] = [value];
        return new Product(id, title, brand, category, a, price);
    }

    public static readonly Product[] Products =
    [
        P("1", "华为 Mate 60 Pro 手机 5G 全网通", "华为", ["手机数码", "手机"], 6999, ("颜色", "雅川青")),
        P("2", "小米 14 手机 徕卡影像 骁龙", "小米", ["手机数码", "手机"], 3999, ("颜色", "白色")),
        P("3", "苹果 iPhone 15 手机 128G", "Apple", ["手机数码", "手机"], 5999),
        P("4", "华为 FreeBuds 无线蓝牙耳机 降噪", "华为", ["手机数码", "耳机"], 999),
        P("5", "耐克 Air Force 1 运动鞋 男款 白色", "耐克", ["运动户外", "运动鞋"], 799, ("颜色", "白色")),
        P("6", "阿迪达斯 跑步鞋 女款 轻便透气", "阿迪达斯", ["运动户外", "运动鞋"], 599),
        P("7", "三只松鼠 坚果礼盒 每日坚果", "三只松鼠", ["食品", "坚果"], 129),
        P("8", "良品铺子 猪肉脯 零食", "良品铺子", ["食品", "肉干"], 39.9),
        P("9", "美的 电饭煲 家用 智能 4L", "美的", ["家用电器", "厨房电器"], 299, ("容量", "4L")),
        P("10", "九阳 豆浆机 破壁 家用", "九阳", ["家用电器", "厨房电器"], 459),
        P("11", "纯棉 T恤 男 短袖 夏季", null, ["服装", "男装"], null),
        P("12", "连衣裙 女 夏 碎花 雪纺", null, ["服装", "女装"], 159, ("材质", "雪纺")),
    ];

    public static ProductIndex InMemory() => ProductIndex.Build(Products, new IndexOptions());
}
