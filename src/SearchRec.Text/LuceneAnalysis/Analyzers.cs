using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Cjk;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Analysis.Synonym;
using Lucene.Net.Util;

namespace SearchRec.Text.LuceneAnalysis;

/// <summary>
/// Our segmenter as a Lucene analyzer, with an optional synonym map. Synonyms are applied wherever the analyzer is
/// used (index and query time alike when the same analyzer does both); equivalence rules expand both sides.
/// </summary>
internal sealed class SegmentingAnalyzer(ChineseSegmenter segmenter, SegmentMode mode, SynonymMap? synonyms, bool foldTraditional)
    : Analyzer, ITraditionalFolding
{
    public bool FoldsTraditional => foldTraditional;

    protected override TokenStreamComponents CreateComponents(string fieldName, TextReader reader)
    {
        var source = new SegmentingTokenizer(reader, segmenter, mode, foldTraditional);
        TokenStream sink = synonyms is null ? source : new SynonymFilter(source, synonyms, ignoreCase: false);
        return new TokenStreamComponents(source, sink);
    }
}

/// <summary>Normalisation, Lucene's StandardTokenizer, then overlapping CJK bigrams (Latin words stay whole).</summary>
internal sealed class CjkBigramAnalyzer(bool foldTraditional) : Analyzer, ITraditionalFolding
{
    public bool FoldsTraditional => foldTraditional;

    protected override TokenStreamComponents CreateComponents(string fieldName, TextReader reader)
    {
        var source = new StandardTokenizer(LuceneVersion.LUCENE_48, reader);
        return new TokenStreamComponents(source, new CJKBigramFilter(source));
    }

    protected override TextReader InitReader(string fieldName, TextReader reader) => new NormalizingCharFilter(reader, foldTraditional);
}
