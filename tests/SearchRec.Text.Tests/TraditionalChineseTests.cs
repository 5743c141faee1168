using SearchRec.Testing;
using Xunit;

namespace SearchRec.Text.Tests;

public class TraditionalChineseTests
{
    [Theory]
    [InlineData("電競平板鍵盤", "电竞平板键盘")]
    [InlineData("黑色聖誕樹", "黑色圣诞树")]
    [InlineData("豬腳薑即食", "猪脚姜即食")]
    [InlineData("iPhone 15 手機殼", "iPhone 15 手机壳")]
    public void Traditional_characters_become_simplified_one_for_one(string traditional, string simplified)
    {
        Assert.Equal(simplified, TraditionalChinese.ToSimplified(traditional));
        Assert.Equal(traditional.Length, TraditionalChinese.ToSimplified(traditional).Length);
    }

    [Theory]
    [InlineData("著名品牌乾红葡萄酒")]
    [InlineData("联想笔记本电脑 ThinkPad X1")]
    [InlineData("")]
    public void Simplified_text_is_returned_unchanged(string text)
    {
        // GB2312 characters that OpenCC would fold (著, 乾) are valid simplified ones, so they stay.
        Assert.Same(text, TraditionalChinese.ToSimplified(text));
    }

    [Fact]
    public void The_table_is_loaded_and_maps_only_to_characters_it_does_not_map_again()
    {
        Assert.InRange(TraditionalChinese.Count, 2_500, 4_000);
        for (var c = '\u3400'; c < '\uFB00'; c++)
        {
            var s = TraditionalChinese.ToSimplified(c);
            Assert.Equal(s, TraditionalChinese.ToSimplified(s));
        }
    }

    [Theory]
    [InlineData("searchrec")]
    [InlineData("searchrec-accurate")]
    [InlineData("cjk-bigram")]
    [InlineData("standard")]
    public void Every_analyzer_gives_a_traditional_title_the_words_of_its_simplified_twin(string name)
    {
        using var a = AnalyzerRegistry.Default.Create(name);
        var traditional = AnalyzerTests.Analyze(a, "電競平板鍵盤滑鼠套裝");
        var simplified = AnalyzerTests.Analyze(a, "电竞平板键盘滑鼠套装");
        Assert.Equal(simplified, traditional);
    }

    [Fact]
    public void Our_analyzers_fold_in_their_own_pass_and_others_get_a_folding_char_filter()
    {
        using var ours = AnalyzerRegistry.Default.Create("searchrec");
        Assert.True(Assert.IsAssignableFrom<ITraditionalFolding>(ours).FoldsTraditional);
        using var other = AnalyzerRegistry.Default.Create("standard");
        Assert.IsType<SearchRec.Text.LuceneAnalysis.TraditionalFoldingAnalyzer>(other);
        using var off = AnalyzerRegistry.Default.Create("standard", new AnalysisOptions { FoldTraditional = false });
        Assert.IsNotType<SearchRec.Text.LuceneAnalysis.TraditionalFoldingAnalyzer>(off);
    }

    [Fact]
    public void With_folding_off_an_analyzer_keeps_traditional_characters()
    {
        using var a = AnalyzerRegistry.Default.Create("cjk-bigram", new AnalysisOptions { FoldTraditional = false });
        var terms = AnalyzerTests.Analyze(a, "鍵盤").Select(t => t.Term).ToArray();
        Assert.Equal(["鍵盤"], terms);
    }

    [Fact]
    public void A_synonym_rule_written_in_traditional_characters_matches_simplified_text()
    {
        using var dir = new TempDir();
        var rules = dir.File("syn.txt");
        File.WriteAllText(rules, "滑鼠,鼠標\n");
        using var a = AnalyzerRegistry.Default.Create("searchrec", new AnalysisOptions { SynonymsPath = rules });
        var terms = AnalyzerTests.Analyze(a, "无线鼠标").Select(t => t.Term).ToArray();
        Assert.Contains("滑鼠", terms);
    }
}
