using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Cjk;
using Lucene.Net.Analysis.Core;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Analysis.Util;
using Lucene.Net.Util;

namespace SearchRec.Index.Internals;

/// <summary>The one seam between the index and the analyzers (swapped to the Text stage's registry in one place).</summary>
internal static class AnalyzerFactory
{
    private static readonly string[] Names = ["searchrec", "cjk-bigram", "cjk-bigram-unigram", "standard", "whitespace"];

    public static string KnownNames => string.Join(", ", Names);

    public static bool IsKnown(string name) => Array.IndexOf(Names, name) >= 0;

    public static Analyzer Create(string name, IndexOptions options) => name switch
    {
        // Until the Text stage's segmenter lands, "searchrec" is Lucene's standard analyzer (CJK unigrams).
        "searchrec" or "standard" => new StandardAnalyzer(LuceneVersion.LUCENE_48, CharArraySet.Empty),
        "cjk-bigram" => new CjkBigramAnalyzer(outputUnigrams: false),
        "cjk-bigram-unigram" => new CjkBigramAnalyzer(outputUnigrams: true),
        "whitespace" => new WhitespaceAnalyzer(LuceneVersion.LUCENE_48),
        _ => throw new ArgumentException($"unknown analyzer '{name}'; known: {KnownNames}.", nameof(name)),
    };

    /// <summary>Lucene's CJK chain (standard tokenizer, width folding, lower case, CJK bigrams) without stop words.</summary>
    private sealed class CjkBigramAnalyzer(bool outputUnigrams) : Analyzer
    {
        protected override TokenStreamComponents CreateComponents(string fieldName, TextReader reader)
        {
            var source = new StandardTokenizer(LuceneVersion.LUCENE_48, reader);
            TokenStream result = new CJKWidthFilter(source);
            result = new LowerCaseFilter(LuceneVersion.LUCENE_48, result);
            result = new CJKBigramFilter(result, CJKScript.ALL, outputUnigrams);
            return new TokenStreamComponents(source, result);
        }
    }
}
