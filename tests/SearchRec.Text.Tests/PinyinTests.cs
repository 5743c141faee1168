using Xunit;

namespace SearchRec.Text.Tests;

public class PinyinTests
{
    [Theory]
    [InlineData('连', "lian")]
    [InlineData('长', "chang,zhang")]
    [InlineData('女', "nv")]
    [InlineData('略', "lue,lve")]
    [InlineData('手', "shou")]
    public void A_character_has_its_modern_readings_without_tones(char c, string readings)
    {
        Assert.Equal(readings.Split(','), Pinyin.ReadingsOf(c).ToArray().Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData('a')]
    [InlineData('1')]
    [InlineData('，')]
    [InlineData('\uFFFF')]
    public void A_character_that_is_not_Han_has_no_reading(char c) => Assert.True(Pinyin.ReadingsOf(c).IsEmpty);

    [Fact]
    public void The_table_covers_the_common_characters_and_only_plain_syllables()
    {
        // Every GB2312 character (the simplified set a shop's text is written in) has a reading.
        Assert.True(Pinyin.Count > 20_000, $"{Pinyin.Count} characters");
        Assert.All(Pinyin.Syllables, s => Assert.Matches("^[a-z]{1,6}$", s));
        var gb2312Missing = 0;
        for (var c = '\u4E00'; c < '\u9FA6'; c++)
            if (Pinyin.ReadingsOf(c).IsEmpty) gb2312Missing++;
        Assert.True(gb2312Missing < 100, $"{gb2312Missing} basic CJK characters have no reading");
    }

    [Theory]
    [InlineData("连衣裙", "lianyiqun", PinyinMatch.Full)]
    [InlineData("连衣裙", "lianyiq", PinyinMatch.Full)]
    [InlineData("连衣裙", "lian", PinyinMatch.Full)]
    [InlineData("连衣裙", "li", PinyinMatch.Full)]
    [InlineData("连衣裙", "lyq", PinyinMatch.Abbreviated)]
    [InlineData("连衣裙", "lianyq", PinyinMatch.Abbreviated)]
    [InlineData("连衣裙", "连yq", PinyinMatch.Abbreviated)]
    [InlineData("连衣裙", "连yiqun", PinyinMatch.Full)]
    [InlineData("长裙", "changqun", PinyinMatch.Full)]
    [InlineData("长裙", "zhangq", PinyinMatch.Full)]
    [InlineData("iphone手机壳", "iphoneshouji", PinyinMatch.Full)]
    [InlineData("iphone手机壳", "iphonesjk", PinyinMatch.Abbreviated)]
    [InlineData("手机壳", "shjk", PinyinMatch.Abbreviated)]
    [InlineData("手机壳", "shojk", PinyinMatch.None)]
    [InlineData("女装", "nvz", PinyinMatch.Full)]
    [InlineData("女装", "nuz", PinyinMatch.Full)] // ü typed as u
    [InlineData("绿色", "lus", PinyinMatch.Full)]
    [InlineData("奴", "nv", PinyinMatch.None)] // but v never stands for u
    [InlineData("连衣裙", "liayq", PinyinMatch.None)]
    [InlineData("连衣裙", "lianyiqunz", PinyinMatch.None)]
    [InlineData("连衣裙", "yiqun", PinyinMatch.None)]
    [InlineData("连衣裙", "lx", PinyinMatch.None)]
    [InlineData("连衣裙", "", PinyinMatch.None)]
    [InlineData("", "l", PinyinMatch.None)]
    public void Typed_pinyin_matches_the_beginning_of_a_text_whole_or_by_initials(string text, string typed, PinyinMatch expected)
    {
        Assert.Equal(expected, Pinyin.MatchPrefix(text, typed));
    }

    [Theory]
    [InlineData("连衣裙", "lianyiqun", true)]
    [InlineData("长裙", "zhangqun", true)]
    [InlineData("iphone手机", "iphoneshouji", true)]
    [InlineData("绿色", "lvse", true)]
    [InlineData("绿色", "luse", true)]
    [InlineData("连衣裙", "lianyiq", false)]
    [InlineData("连衣裙", "lyq", false)]
    [InlineData("连衣裙", "lianyiqunnv", false)]
    [InlineData("连衣裙女", "lianyiqun", false)]
    [InlineData("", "", false)]
    public void Typed_pinyin_spells_a_whole_text_only_with_every_reading_typed_whole(string text, string typed, bool expected)
    {
        Assert.Equal(expected, Pinyin.Spells(text, typed));
    }

    [Theory]
    [InlineData("连衣群", "连衣裙", true)]
    [InlineData("首机", "手机", true)]
    [InlineData("长裙", "常裙", true)]
    [InlineData("涨裙", "长裙", true)]
    [InlineData("iphone首机", "iphone手机", true)]
    [InlineData("连衣裙", "连衣裙", true)]
    [InlineData("连衣群", "连衣", false)]
    [InlineData("连衣群", "连衣狗", false)]
    [InlineData("iphone手机", "ipbone手机", false)]
    public void Texts_read_alike_when_each_character_is_the_same_or_shares_a_reading(string a, string b, bool expected)
    {
        Assert.Equal(expected, Pinyin.SoundsAlike(a, b));
        Assert.Equal(expected, Pinyin.SoundsAlike(b, a));
    }

    [Fact]
    public void A_full_reading_is_preferred_where_the_typed_letters_also_split_into_initials()
    {
        // 先生 reads "xian" as one whole reading, 西安 as xi + an.
        Assert.Equal(PinyinMatch.Full, Pinyin.MatchPrefix("西安", "xian"));
        Assert.Equal(PinyinMatch.Full, Pinyin.MatchPrefix("先生", "xian"));
    }

    [Fact]
    public void Typed_text_too_long_to_be_a_query_never_matches()
    {
        var text = new string('连', 100);
        Assert.Equal(PinyinMatch.Full, Pinyin.MatchPrefix(text, string.Concat(Enumerable.Repeat("lian", 16))));
        Assert.Equal(PinyinMatch.None, Pinyin.MatchPrefix(text, string.Concat(Enumerable.Repeat("lian", 17))));
    }
}
