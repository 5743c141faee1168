using Xunit;

namespace SearchRec.Text.Tests;

public class TextHighlighterTests
{
    private static string[] Marked(string text, string query) =>
        TextHighlighter.Find(text, TextHighlighter.Words(query)).Select(s => text.Substring(s.Start, s.Length)).ToArray();

    [Fact]
    public void The_query_words_are_marked_where_the_title_holds_them_and_neighbours_merge()
    {
        Assert.Equal(["碎花连衣裙"], Marked("夏季碎花连衣裙 女 雪纺", "碎花 连衣裙"));
        Assert.Equal(["连衣裙", "连衣裙"], Marked("连衣裙 长款 连衣裙", "连衣裙"));
    }

    [Fact]
    public void Case_width_and_traditional_characters_do_not_matter_and_spans_are_offsets_into_the_text_as_given()
    {
        Assert.Equal(["ＩＰｈｏｎｅ", "手機"], Marked("苹果 ＩＰｈｏｎｅ 15 手機殼", "iphone 手机"));
        Assert.Equal(["iPhone"], Marked("Apple iPhone 15", "IPHONE"));
    }

    [Fact]
    public void A_latin_word_is_marked_only_whole()
    {
        Assert.Empty(Marked("iphone 15 pro", "ph"));
        Assert.Equal(["pro"], Marked("iphone 15 pro", "pro"));
        Assert.Equal(["15"], Marked("iphone 15 pro 150w", "15"));
    }

    [Fact]
    public void Nothing_is_marked_when_no_word_occurs_or_the_query_has_no_words()
    {
        Assert.Empty(Marked("华为 手机", "连衣裙"));
        Assert.Empty(Marked("华为 手机", "，。!"));
        Assert.Empty(Marked("", "手机"));
    }

    [Fact]
    public void Words_are_distinct_and_longest_first()
    {
        var words = TextHighlighter.Words("笔记本电脑 笔记本电脑");
        Assert.Equal(words.Distinct().Count(), words.Length);
        Assert.Equal("笔记本电脑", words[0]);
        Assert.Contains("电脑", words);
    }

    [Fact]
    public void One_character_function_words_are_not_marked_but_other_single_characters_are()
    {
        Assert.Equal(["连衣裙"], Marked("春秋的连衣裙和外套", "连衣裙 的"));
        Assert.Equal(["女"], Marked("碎花 女 裙子", "女"));
    }

    [Fact]
    public void A_text_is_about_a_query_when_it_holds_every_whole_word_of_it()
    {
        Assert.Equal(["碎花", "连衣裙"], TextHighlighter.WholeWordsOf("碎花连衣裙的"));
        Assert.True(TextHighlighter.HoldsEvery("夏季 碎花 雪纺连衣裙", TextHighlighter.WholeWordsOf("碎花连衣裙")));
        Assert.False(TextHighlighter.HoldsEvery("美白洗面奶 白色", TextHighlighter.WholeWordsOf("白酒")));
        Assert.False(TextHighlighter.HoldsEvery("iphone 15 pro", TextHighlighter.WholeWordsOf("ph")));
        Assert.True(TextHighlighter.HoldsEvery("任何文字", []));
    }
}
