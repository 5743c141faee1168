using Xunit;

namespace SearchRec.Text.Tests;

public class ResourceTests
{
    [Fact]
    public void The_dictionary_and_its_licence_notice_ship_inside_the_assembly()
    {
        string[] names = typeof(ChineseSegmenter).Assembly.GetManifestResourceNames();
        Assert.Contains("SearchRec.Text.Resources.jieba.bin.gz", names);
        Assert.Contains("SearchRec.Text.Resources.JIEBA-LICENSE.txt", names);
        using var stream = typeof(ChineseSegmenter).Assembly.GetManifestResourceStream("SearchRec.Text.Resources.JIEBA-LICENSE.txt")!;
        string licence = new StreamReader(stream).ReadToEnd();
        Assert.Contains("Sun Junyi", licence);
        Assert.Contains("Permission is hereby granted", licence);
    }

    [Fact]
    public void The_embedded_dictionary_holds_the_jieba_word_list()
    {
        // dict.txt has 349,046 lines; a few fold together when normalised (T恤/t恤, C#/c#).
        Assert.InRange(ChineseSegmenter.Default.WordCount, 349_000, 349_046);
    }
}
