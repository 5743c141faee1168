using Xunit;

namespace SearchRec.Text.Tests;

public class SegmenterTests
{
    private static readonly ChineseSegmenter Seg = ChineseSegmenter.Default;

    private static string Cut(string text, SegmentMode mode = SegmentMode.Accurate) => string.Join("/", Seg.Cut(text, mode));

    [Theory]
    [InlineData("华为手机新款", "华为/手机/新款")]
    [InlineData("韩版宽松连衣裙纯棉", "韩版/宽松/连衣裙/纯棉")]
    [InlineData("小米扫地机器人", "小米/扫地/机器人")]
    [InlineData("三只松鼠坚果大礼包", "三只/松鼠/坚果/大礼包")]
    [InlineData("韩版宽松T恤女夏季", "韩版/宽松/t恤/女/夏季")]
    [InlineData("我来到北京清华大学", "我/来到/北京/清华大学")]
    public void Accurate_mode_cuts_product_titles_into_dictionary_words(string title, string expected)
    {
        Assert.Equal(expected, Cut(title));
    }

    [Fact]
    public void Search_mode_also_yields_the_dictionary_words_inside_a_long_word_after_it()
    {
        Assert.Equal("笔记本电脑", Cut("笔记本电脑"));
        Assert.Equal("笔记本电脑/笔记/笔记本/电脑", Cut("笔记本电脑", SegmentMode.Search));
        Assert.Equal("我/来到/北京/清华大学/清华/华大/大学", Cut("我来到北京清华大学", SegmentMode.Search));
    }

    [Fact]
    public void Search_mode_leaves_two_character_words_alone()
    {
        Assert.Equal(Cut("华为手机纯棉"), Cut("华为手机纯棉", SegmentMode.Search));
    }

    [Theory]
    [InlineData("梦之铭女装", "梦之铭/女装")]
    [InlineData("他来到了网易杭研大厦", "他/来到/了/网易/杭研/大厦")]
    public void Stretches_outside_the_dictionary_are_joined_by_the_hmm(string text, string expected)
    {
        // 梦之铭 and 杭研 are not dictionary words: without the HMM they would come out as single characters.
        Assert.Equal(expected, Cut(text));
    }

    [Theory]
    [InlineData("Apple/苹果 iPhone15 Pro Max 256GB", "apple/苹果/iphone15/pro/max/256gb")]
    [InlineData("佳能EF 24-70mm f/2.8L镜头", "佳能/ef/24-70mm/f/2.8l/镜头")]
    [InlineData("安耐晒防晒霜SPF50+ PA++++", "安/耐晒/防晒霜/spf50/pa")]
    [InlineData("七彩虹RTX4090显卡", "七彩虹/rtx4090/显卡")]
    [InlineData("iphone15手机 黑色", "iphone15/手机/黑色")]
    public void Latin_and_digit_runs_stay_whole_as_model_numbers(string text, string expected)
    {
        Assert.Equal(expected, Cut(text));
    }

    [Fact]
    public void A_joiner_without_letters_or_digits_on_both_sides_splits_the_run()
    {
        Assert.Equal("abc/def/x", Cut("abc- def -x"));
        Assert.Equal("24/70mm", Cut("24--70mm"));
    }

    [Fact]
    public void Full_width_letters_and_digits_become_lower_case_half_width()
    {
        Assert.Equal("abc123", Cut("ＡＢＣ１２３"));
        Assert.Equal("abc123 x", TextNormalizer.Normalize("ＡＢＣ１２３\u3000X"));
    }

    [Fact]
    public void Punctuation_symbols_and_emoji_are_dropped()
    {
        Assert.Equal("你好/世界/ok", Cut("【你好】，世界！😀🎉「OK」…★"));
        Assert.Empty(Seg.Cut("，。！？😀 ~~ ——"));
        Assert.Empty(Seg.Cut(""));
    }

    [Fact]
    public void Text_normalisation_leaves_normal_text_as_the_same_instance()
    {
        const string text = "华为mate60";
        Assert.Same(text, TextNormalizer.Normalize(text));
    }

    [Fact]
    public void A_long_letter_run_is_cut_into_pieces_of_at_most_255_characters()
    {
        var words = Seg.Cut(new string('a', 600));
        Assert.Equal([255, 255, 90], words.Select(w => w.Length));
    }

    [Fact]
    public void Adding_a_user_word_keeps_a_brand_whole()
    {
        var seg = new ChineseSegmenter();
        Assert.Equal("蕉/下/防晒/伞", string.Join("/", seg.Cut("蕉下防晒伞")));
        seg.AddWord("蕉下");
        Assert.Equal("蕉下/防晒/伞", string.Join("/", seg.Cut("蕉下防晒伞")));
        // The shared segmenter is untouched.
        Assert.Equal("蕉/下/防晒/伞", Cut("蕉下防晒伞"));
    }

    [Fact]
    public void A_user_word_with_a_high_frequency_beats_the_dictionary_split()
    {
        var seg = new ChineseSegmenter();
        Assert.Equal("三只/松鼠/坚果", string.Join("/", seg.Cut("三只松鼠坚果")));
        seg.AddWord("三只松鼠", 100000);
        Assert.Equal("三只松鼠/坚果", string.Join("/", seg.Cut("三只松鼠坚果")));
        Assert.Equal("三只松鼠/三只/松鼠/坚果", string.Join("/", seg.Cut("三只松鼠坚果", SegmentMode.Search)));
    }

    [Fact]
    public void A_user_dictionary_file_changes_segmentations()
    {
        using var dir = new SearchRec.Testing.TempDir();
        string path = Path.Combine(dir.Path, "user.txt");
        File.WriteAllLines(path, ["# brands", "花西子 5000", "", "完美日记", "蕉下 3 nz"]);
        var seg = new ChineseSegmenter();
        seg.LoadUserDictionary(path);
        Assert.Equal("花西子/散粉", string.Join("/", seg.Cut("花西子散粉")));
        Assert.Equal("完美日记/口红", string.Join("/", seg.Cut("完美日记口红")));
    }

    [Theory]
    [InlineData("花西子 many", ":2:")]
    [InlineData("花西子 -3", ":2:")]
    [InlineData("a b c d", ":2:")]
    [InlineData("花，西子", ":2:")]
    public void A_bad_user_dictionary_line_is_a_format_error_naming_file_and_line(string badLine, string expectedLine)
    {
        using var dir = new SearchRec.Testing.TempDir();
        string path = Path.Combine(dir.Path, "user.txt");
        File.WriteAllLines(path, ["蕉下 10", badLine]);
        var seg = new ChineseSegmenter();
        var e = Assert.Throws<FormatException>(() => seg.LoadUserDictionary(path));
        Assert.Contains(path + expectedLine, e.Message);
        // Nothing from the file is added when a line is bad.
        Assert.Equal("蕉/下", string.Join("/", seg.Cut("蕉下")));
    }

    [Fact]
    public void Add_word_rejects_words_that_could_never_match()
    {
        var seg = new ChineseSegmenter();
        Assert.Throws<ArgumentException>(() => seg.AddWord("  "));
        Assert.Throws<ArgumentException>(() => seg.AddWord("a b"));
        Assert.Throws<ArgumentException>(() => seg.AddWord("好", -1));
    }

    [Fact]
    public void Chinese_tokenizer_returns_the_search_mode_words()
    {
        var tok = new ChineseTokenizer();
        Assert.Equal(["笔记本电脑", "笔记", "笔记本", "电脑", "rtx4090"], tok.Tokenize("笔记本电脑 RTX4090"));
        Assert.Equal(["笔记本电脑"], new ChineseTokenizer(mode: SegmentMode.Accurate).Tokenize("笔记本电脑"));
    }

    [Fact]
    public void The_segmenter_cuts_the_same_way_on_many_threads()
    {
        string[] titles = ["华为手机新款", "笔记本电脑", "七彩虹RTX4090显卡", "梦之铭女装", "我来到北京清华大学"];
        string[] expected = titles.Select(t => Cut(t, SegmentMode.Search)).ToArray();
        Parallel.For(0, 2000, i =>
        {
            int k = i % titles.Length;
            Assert.Equal(expected[k], Cut(titles[k], SegmentMode.Search));
        });
    }
}

public class SegmenterConcurrencyTests
{
    [Fact]
    public async Task Words_can_be_added_while_other_threads_cut()
    {
        var seg = new ChineseSegmenter();
        string expected = string.Join("/", seg.Cut("华为手机新款七彩虹显卡"));
        // Made-up two-character brands from rare characters, so they change nothing in the checked title.
        string[] brands = Enumerable.Range(0, 300).Select(i => new string([(char)(0x9F00 + i % 150), (char)(0x9E00 + i)])).ToArray();
        using var cts = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            int n = 0;
            while (!cts.IsCancellationRequested || n == 0)
            {
                Assert.Equal(expected, string.Join("/", seg.Cut("华为手机新款七彩虹显卡")));
                n++;
            }
            return n;
        })).ToArray();
        foreach (string b in brands) seg.AddWord(b, 1000);
        cts.Cancel();
        await Task.WhenAll(readers);
        foreach (string b in brands) Assert.Equal([b], seg.Cut(b));
    }
}
