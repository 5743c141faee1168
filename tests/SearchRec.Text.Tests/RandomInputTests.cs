using System.Text;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using Xunit;

namespace SearchRec.Text.Tests;

public class RandomInputTests
{
    private static readonly string[] Words = ["手机", "笔记本电脑", "华为", "iphone15", "24-70mm", "清华大学", "mobile", "连衣裙", "ＡＢＣ"];

    // Mixes the character classes the segmenter treats differently, plus lone and paired surrogates.
    private static string RandomText(Random rnd)
    {
        int len = rnd.Next(0, 2001);
        var sb = new StringBuilder(len);
        while (sb.Length < len)
        {
            switch (rnd.Next(12))
            {
                case 10:
                case 11: sb.Append(Words[rnd.Next(Words.Length)]); break;
                case 0: sb.Append((char)rnd.Next(0, 0x80)); break;
                case 1: sb.Append((char)rnd.Next(0xD800, 0xE000)); break; // lone surrogate
                case 2: sb.Append(char.ConvertFromUtf32(rnd.Next(0x10000, 0x10FFFF))); break;
                case 3: sb.Append((char)rnd.Next(0xFF01, 0xFF5F)); break;
                case 4: sb.Append("-._"[rnd.Next(3)]); break;
                case 5: sb.Append((char)rnd.Next(0, 0xD800)); break;
                default: sb.Append((char)rnd.Next(0x4E00, 0x9FA6)); break;
            }
        }
        return sb.ToString();
    }

    [Theory]
    [InlineData("searchrec")]
    [InlineData("searchrec-accurate")]
    [InlineData("cjk-bigram")]
    [InlineData("searchrec+synonyms")]
    public void Random_text_never_throws_and_offsets_stay_valid(string name)
    {
        var rnd = new Random(20261123);
        using var dir = new SearchRec.Testing.TempDir();
        string synonyms = dir.Write("syn.txt", "手机,mobile,移动电话\n笔记本电脑 => laptop\n华为,huawei\n");
        using var analyzer = name.EndsWith("+synonyms", StringComparison.Ordinal)
            ? AnalyzerRegistry.Default.Create("searchrec", new AnalysisOptions { SynonymsPath = synonyms })
            : AnalyzerRegistry.Default.Create(name);
        for (int iter = 0; iter < 150; iter++)
        {
            string text = RandomText(rnd);
            using TokenStream ts = analyzer.GetTokenStream("title", new StringReader(text));
            var term = ts.AddAttribute<ICharTermAttribute>();
            var offset = ts.AddAttribute<IOffsetAttribute>();
            var posInc = ts.AddAttribute<IPositionIncrementAttribute>();
            ts.Reset();
            int lastStart = 0;
            bool first = true;
            while (ts.IncrementToken())
            {
                Assert.True(term.Length > 0);
                Assert.InRange(offset.StartOffset, lastStart, text.Length);
                Assert.InRange(offset.EndOffset, offset.StartOffset + 1, text.Length);
                Assert.True(posInc.PositionIncrement >= (first ? 1 : 0));
                lastStart = offset.StartOffset;
                first = false;
            }
            ts.End();
            Assert.Equal(text.Length, offset.EndOffset);
        }
    }

    [Fact]
    public void Random_text_cut_in_both_modes_gives_normalised_slices_of_the_text()
    {
        var rnd = new Random(7);
        for (int iter = 0; iter < 150; iter++)
        {
            string text = RandomText(rnd);
            string norm = TextNormalizer.Normalize(text);
            foreach (var mode in new[] { SegmentMode.Accurate, SegmentMode.Search })
            {
                foreach (string w in ChineseSegmenter.Default.Cut(text, mode))
                {
                    Assert.NotEmpty(w);
                    Assert.Contains(w, norm, StringComparison.Ordinal);
                }
            }
        }
    }
}
