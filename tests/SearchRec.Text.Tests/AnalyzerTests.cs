using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Text.Tests;

public class AnalyzerTests
{
    internal sealed record Tok(string Term, int Start, int End, int PosInc);

    internal static List<Tok> Analyze(Analyzer analyzer, string text)
    {
        var result = new List<Tok>();
        using TokenStream ts = analyzer.GetTokenStream("title", new StringReader(text));
        var term = ts.AddAttribute<ICharTermAttribute>();
        var offset = ts.AddAttribute<IOffsetAttribute>();
        var posInc = ts.AddAttribute<IPositionIncrementAttribute>();
        ts.Reset();
        while (ts.IncrementToken()) result.Add(new Tok(term.ToString(), offset.StartOffset, offset.EndOffset, posInc.PositionIncrement));
        ts.End();
        Assert.Equal(text.Length, offset.EndOffset);
        return result;
    }

    private static string Terms(IEnumerable<Tok> toks) => string.Join("/", toks.Select(t => t.Term));

    [Fact]
    public void Searchrec_analyzer_emits_search_mode_words_with_sub_words_stacked_on_their_word()
    {
        using var a = AnalyzerRegistry.Default.Create("searchrec");
        var toks = Analyze(a, "联想笔记本电脑");
        Assert.Equal([
            new Tok("联想", 0, 2, 1), new Tok("笔记本电脑", 2, 7, 1), new Tok("笔记", 2, 4, 0),
            new Tok("笔记本", 2, 5, 0), new Tok("电脑", 5, 7, 0)], toks);
    }

    [Fact]
    public void Offsets_point_into_the_original_full_width_text()
    {
        using var a = AnalyzerRegistry.Default.Create("searchrec-accurate");
        // 【 and 】 are dropped but keep their positions (increment 2).
        Assert.Equal([new Tok("新款", 1, 3, 2), new Tok("abc123", 4, 10, 2)], Analyze(a, "【新款】ＡＢＣ１２３"));
    }

    [Fact]
    public void Dropped_punctuation_advances_the_position_but_spaces_do_not()
    {
        using var a = AnalyzerRegistry.Default.Create("searchrec-accurate");
        Assert.Equal([new Tok("华为", 0, 2, 1), new Tok("手机", 4, 6, 3)], Analyze(a, "华为,!手机"));
        Assert.Equal([new Tok("华为", 0, 2, 1), new Tok("手机", 3, 5, 1)], Analyze(a, "华为 手机"));
    }

    [Fact]
    public void Trailing_punctuation_counts_in_the_final_position_increment()
    {
        using var a = AnalyzerRegistry.Default.Create("searchrec");
        using TokenStream ts = a.GetTokenStream("title", new StringReader("手机。。😀 "));
        var posInc = ts.AddAttribute<IPositionIncrementAttribute>();
        ts.Reset();
        while (ts.IncrementToken()) { }
        ts.End();
        Assert.Equal(3, posInc.PositionIncrement);
    }

    [Fact]
    public void Search_mode_sub_words_stay_stacked_after_punctuation()
    {
        using var a = AnalyzerRegistry.Default.Create("searchrec");
        var toks = Analyze(a, "，联想笔记本电脑");
        Assert.Equal(2, toks[0].PosInc);
        Assert.Equal(1, toks[1].PosInc);
        Assert.All(toks.Skip(2), t => Assert.Equal(0, t.PosInc));
    }

    [Fact]
    public void Cjk_bigram_analyzer_normalises_then_makes_overlapping_bigrams()
    {
        using var a = AnalyzerRegistry.Default.Create("cjk-bigram");
        var toks = Analyze(a, "华为手机ＭＡＴＥ60");
        Assert.Equal("华为/为手/手机/mate60", Terms(toks));
        Assert.Equal((0, 2), (toks[0].Start, toks[0].End));
        Assert.Equal((4, 10), (toks[3].Start, toks[3].End));
    }

    [Fact]
    public void A_reused_token_stream_starts_clean_on_the_second_text()
    {
        using var a = AnalyzerRegistry.Default.Create("searchrec");
        var first = Analyze(a, "七彩虹RTX4090显卡");
        var second = Analyze(a, "华为手机");
        Assert.Equal("七彩虹/七彩/彩虹/rtx4090/显卡", Terms(first));
        Assert.Equal([new Tok("华为", 0, 2, 1), new Tok("手机", 2, 4, 1)], second);
        Assert.Equal(Terms(first), Terms(Analyze(a, "七彩虹RTX4090显卡")));
    }

    [Fact]
    public void Synonyms_expand_a_query()
    {
        using var dir = new TempDir();
        string path = dir.Write("synonyms.txt", "# shop synonyms\n手机,mobile\n笔记本电脑 => 笔记本电脑,laptop\n");
        using var a = AnalyzerRegistry.Default.Create("searchrec-accurate", new AnalysisOptions { SynonymsPath = path });
        var toks = Analyze(a, "华为手机");
        Assert.Contains(new Tok("mobile", 2, 4, 0), toks);
        Assert.Contains(toks, t => t.Term == "手机");
        Assert.Contains(Analyze(a, "联想笔记本电脑"), t => t.Term == "laptop");
        Assert.DoesNotContain(Analyze(a, "laptop"), t => t.Term == "笔记本电脑");
    }

    [Fact]
    public void Synonyms_work_on_the_search_mode_stream()
    {
        using var dir = new TempDir();
        string path = dir.Write("synonyms.txt", "手机,mobile\n");
        using var a = AnalyzerRegistry.Default.Create("searchrec", new AnalysisOptions { SynonymsPath = path });
        Assert.Contains(Analyze(a, "笔记本电脑和手机"), t => t.Term == "mobile");
    }

    [Fact]
    public void A_user_dictionary_from_options_changes_the_analyzer()
    {
        using var dir = new TempDir();
        string path = dir.Write("user.txt", "蕉下\n");
        using var a = new AnalyzerRegistry().Create("searchrec", new AnalysisOptions { UserDictionaryPath = path });
        Assert.Equal("蕉下/防晒/伞", Terms(Analyze(a, "蕉下防晒伞")));
    }

    [Fact]
    public void A_bad_synonym_file_is_a_format_error_naming_the_file()
    {
        using var dir = new TempDir();
        string path = dir.Write("synonyms.txt", "手机,mobile\na => b => c\n");
        var e = Assert.Throws<FormatException>(() => AnalyzerRegistry.Default.Create("searchrec", new AnalysisOptions { SynonymsPath = path }));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Options_naming_a_missing_file_fail_validation_naming_the_field()
    {
        var e = Assert.Throws<ArgumentException>(() => new AnalysisOptions { SynonymsPath = "/nonexistent/syn.txt" }.Validate());
        Assert.Contains("SynonymsPath", e.Message);
        e = Assert.Throws<ArgumentException>(() => AnalyzerRegistry.Default.Create("searchrec", new AnalysisOptions { UserDictionaryPath = " " }));
        Assert.Contains("UserDictionaryPath", e.Message);
    }

    [Fact]
    public void Registry_lists_the_built_in_names_and_not_smartcn_when_it_is_not_installed()
    {
        Assert.Equal(["cjk-bigram", "searchrec", "searchrec-accurate", "standard"], AnalyzerRegistry.Default.Names);
        foreach (string name in AnalyzerRegistry.Default.Names)
        {
            using var a = AnalyzerRegistry.Default.Create(name.ToUpperInvariant());
            Assert.NotEmpty(Analyze(a, "iphone15 手机"));
        }
    }

    [Fact]
    public void Unknown_analyzer_name_is_an_error_listing_the_known_names()
    {
        var e = Assert.Throws<ArgumentException>(() => AnalyzerRegistry.Default.Create("smartcn"));
        Assert.Contains("smartcn", e.Message);
        Assert.Contains("cjk-bigram, searchrec, searchrec-accurate, standard", e.Message);
    }

    [Fact]
    public void Register_adds_a_custom_analyzer_by_name()
    {
        var registry = new AnalyzerRegistry();
        registry.Register("whitespace", _ => new Lucene.Net.Analysis.Core.WhitespaceAnalyzer(Lucene.Net.Util.LuceneVersion.LUCENE_48));
        Assert.Contains("whitespace", registry.Names);
        using var a = registry.Create("whitespace");
        Assert.Equal("华为手机/x", Terms(Analyze(a, "华为手机 x")));
        Assert.DoesNotContain("whitespace", AnalyzerRegistry.Default.Names);
    }
}
