using System.Text;
using SearchRec.Server.Internals;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>QueryParams.NormaliseQuery keeps a query that is normalised already as it is: the same text as the full loop gives.</summary>
public sealed class NormaliseQueryTests
{
    [Theory]
    [InlineData("连衣裙", "连衣裙")]
    [InlineData("连衣裙 女 夏季", "连衣裙 女 夏季")]
    [InlineData("  ＡＢＣ 连衣裙  女 夏季 ", "abc 连衣裙 女 夏季")]
    [InlineData("a\u3000b", "a b")]
    [InlineData("a\u00a0b", "a b")]
    [InlineData("a\tb", "a b")]
    [InlineData("a\u0001b", "a b")]
    [InlineData("a \u0001b", "a b")]
    [InlineData("a\u0001", "a")]
    [InlineData(" a", "a")]
    [InlineData("a ", "a")]
    [InlineData("a  b", "a b")]
    [InlineData("a\u2003b", "a b")]
    [InlineData("iPhone 15", "iphone 15")]
    public void A_query_is_normalised(string raw, string expected) => Assert.Equal(expected, QueryParams.NormaliseQuery(raw, 200));

    [Fact]
    public void The_shortcut_gives_what_the_full_loop_gives()
    {
        var random = new Random(7);
        string[] alphabet = ["a", "B", "连", " ", " ", "\t", "\n", "\u0001", "\u00a0", "\u3000", "\u2003", "Ａ", "\u0085", "\u200b", "é", "e\u0301", "😀"];
        for (int n = 0; n < 20_000; n++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 8)).Select(_ => alphabet[random.Next(alphabet.Length)]));
            string? expected = Reference(text);
            if (expected is null) Assert.Throws<BadParameterException>(() => QueryParams.NormaliseQuery(text, 200));
            else Assert.Equal(expected, QueryParams.NormaliseQuery(text, 200));
        }
    }

    // The loop as it was before the shortcut; null for a query with no text.
    private static string? Reference(string raw)
    {
        string s = raw.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var sb = new StringBuilder(s.Length);
        bool space = false;
        foreach (char c in s)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c)) { space = sb.Length > 0; continue; }
            if (space) { sb.Append(' '); space = false; }
            sb.Append(c);
        }
        return sb.Length == 0 ? null : sb.ToString();
    }
}
