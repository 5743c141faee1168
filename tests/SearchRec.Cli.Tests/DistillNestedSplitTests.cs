using SearchRec.Cli.Commands;
using SearchRec.Evaluation.Trec;
using SearchRec.Text;
using Xunit;

namespace SearchRec.Cli.Tests;

/// <summary>The nested split of the distilled rankers' training queries (the residual ensemble's fusion weight).</summary>
public sealed class DistillNestedSplitTests
{
    // Each text under two ids, the second written as QueryTextComparer reads the same: other spacing, case, width, punctuation.
    private static readonly (string, string)[] Twins =
    [
        ("连衣裙 女", "连衣裙女"), ("iPhone 手机壳", "IPHONE手机壳"), ("蓝牙耳机", "蓝牙耳机"), ("ＵＳＢ 数据线", "usb数据线"),
        ("跑步鞋 男", "跑步鞋，男"), ("保温杯", "保温杯 "), ("牛肉干", "牛肉干"), ("书包 小学生", "书包小学生"),
        ("台灯 护眼", "台灯护眼"), ("儿童 玩具", "儿童玩具！"),
    ];

    private static List<EvalQuery> TwinQueries() =>
        [.. Twins.SelectMany((t, i) => new[] { new EvalQuery($"q{i}a", t.Item1), new EvalQuery($"q{i}b", t.Item2) })];

    [Fact]
    public void Nested_halves_never_put_one_query_text_under_two_ids_on_both_sides()
    {
        var train = TwinQueries();
        var halves = DistillState.NestedHalves(train);

        Assert.Equal(2, halves.Length);
        Assert.All(halves, h => Assert.NotEmpty(h));
        Assert.Equal(train.Select(q => q.Id).Order(StringComparer.Ordinal), halves.SelectMany(h => h).Select(q => q.Id).Order(StringComparer.Ordinal));
        var inA = halves[0].Select(q => QueryTextComparer.Key(q.Text)).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(halves[1], q => inA.Contains(QueryTextComparer.Key(q.Text)));
    }

    [Fact]
    public void Nested_halves_do_not_depend_on_the_order_of_the_training_queries()
    {
        var train = TwinQueries();
        var reversed = Enumerable.Reverse(train).ToList();
        Assert.Equal(DistillState.NestedHalves(train).Select(h => h.Select(q => q.Id)), DistillState.NestedHalves(reversed).Select(h => h.Select(q => q.Id)));
    }

    [Fact]
    public void Nested_halves_of_training_queries_of_one_text_are_refused_saying_why()
    {
        var e = Assert.Throws<ArgumentException>(() => DistillState.NestedHalves([new EvalQuery("1", "连衣裙 女"), new EvalQuery("2", "连衣裙女")]));
        Assert.Contains("the 2 training queries share one text", e.Message, StringComparison.Ordinal);
    }
}
