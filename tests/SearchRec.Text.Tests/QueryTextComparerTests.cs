using Xunit;

namespace SearchRec.Text.Tests;

public class QueryTextComparerTests
{
    [Theory]
    [InlineData("連衣裙 女", "连衣裙女")]
    [InlineData("连衣裙，女", "连衣裙 女")]
    [InlineData("ＩＰｈｏｎｅ 15", "iphone15")]
    [InlineData(" 保温杯 ", "保温杯")]
    public void Twins_of_a_query_compare_equal_with_equal_hashes(string a, string b)
    {
        Assert.True(QueryTextComparer.Instance.Equals(a, b));
        Assert.Equal(QueryTextComparer.Instance.GetHashCode(a), QueryTextComparer.Instance.GetHashCode(b));
    }

    [Theory]
    [InlineData("连衣裙", "连衣裤")]
    [InlineData("iphone15", "iphone16")]
    [InlineData("连衣裙", null)]
    public void Different_queries_differ(string a, string? b) => Assert.False(QueryTextComparer.Instance.Equals(a, b));

    [Fact]
    public void A_set_built_with_it_contains_every_twin_of_its_members()
    {
        var set = new HashSet<string>(["電競鍵盤"], QueryTextComparer.Instance);
        Assert.Contains("电竞 键盘", set);
        Assert.DoesNotContain("电竞鼠标", set);
    }
}
