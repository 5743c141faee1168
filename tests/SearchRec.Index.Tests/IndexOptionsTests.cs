using Xunit;

namespace SearchRec.Index.Tests;

public sealed class IndexOptionsTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        var o = new IndexOptions();
        o.Validate();
        Assert.Equal(1.2f, o.K1);
        Assert.Equal(0.75f, o.B);
        Assert.Equal("searchrec", o.TitleAnalyzer);
        Assert.Equal("cjk-bigram-unigram", o.BigramAnalyzer);
        Assert.Equal(DocOrder.Category, o.DocOrder);
        Assert.True(o.MergeToOneSegment);
    }

    [Theory]
    [InlineData(nameof(IndexOptions.K1))]
    [InlineData(nameof(IndexOptions.B))]
    [InlineData(nameof(IndexOptions.TieBreaker))]
    [InlineData(nameof(IndexOptions.TitleAnalyzer))]
    [InlineData(nameof(IndexOptions.BigramAnalyzer))]
    [InlineData(nameof(IndexOptions.UserDictionaryPath))]
    [InlineData(nameof(IndexOptions.SynonymsPath))]
    [InlineData(nameof(IndexOptions.QueryTermCap))]
    [InlineData(nameof(IndexOptions.RecallParallelism))]
    [InlineData(nameof(IndexOptions.LongQueryWords))]
    [InlineData(nameof(IndexOptions.CommonTermCutoff))]
    [InlineData(nameof(IndexOptions.DocOrder))]
    public void A_bad_field_is_named_in_the_error(string field)
    {
        var o = new IndexOptions();
        switch (field)
        {
            case nameof(IndexOptions.K1): o.K1 = -1; break;
            case nameof(IndexOptions.B): o.B = 1.5f; break;
            case nameof(IndexOptions.TieBreaker): o.TieBreaker = float.NaN; break;
            case nameof(IndexOptions.TitleAnalyzer): o.TitleAnalyzer = "nope"; break;
            case nameof(IndexOptions.BigramAnalyzer): o.BigramAnalyzer = ""; break;
            case nameof(IndexOptions.UserDictionaryPath): o.UserDictionaryPath = "/no/such/file.txt"; break;
            case nameof(IndexOptions.SynonymsPath): o.SynonymsPath = "/no/such/file.txt"; break;
            case nameof(IndexOptions.QueryTermCap): o.QueryTermCap = 49; break;
            case nameof(IndexOptions.RecallParallelism): o.RecallParallelism = 0; break;
            case nameof(IndexOptions.LongQueryWords): o.LongQueryWords = -1; break;
            case nameof(IndexOptions.CommonTermCutoff): o.CommonTermCutoff = 0f; break;
            case nameof(IndexOptions.DocOrder): o.DocOrder = (DocOrder)7; break;
        }
        var e = Assert.Throws<ArgumentException>(o.Validate);
        Assert.Contains(field, e.Message);
        Assert.Equal(field, e.ParamName);
    }

    [Fact]
    public void Build_validates_the_options()
    {
        Assert.Throws<ArgumentException>(() => ProductIndex.Build([], new IndexOptions { B = -0.1f }));
    }
}
