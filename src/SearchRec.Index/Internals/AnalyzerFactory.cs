using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Cjk;
using Lucene.Net.Analysis.Core;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Util;
using SearchRec.Text;

namespace SearchRec.Index.Internals;

/// <summary>
/// The one seam between the index and the analyzers: the Text stage's registry, plus <c>cjk-bigram-unigram</c>
/// (CJK bigrams and single characters, the bigram field's default) and <c>whitespace</c> (tests).
/// </summary>
internal static class AnalyzerFactory
{
    private static readonly AnalyzerRegistry Registry = CreateRegistry();

    public static string KnownNames => string.Join(", ", Registry.Names);

    public static bool IsKnown(string name)
    {
        foreach (var n in Registry.Names)
            if (string.Equals(n, name.Trim(), StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    public static Analyzer Create(string name, IndexOptions options) =>
        Registry.Create(name.Trim(), new AnalysisOptions
        {
            UserDictionaryPath = options.UserDictionaryPath,
            SynonymsPath = options.SynonymsPath,
            FoldTraditional = options.FoldTraditional,
        });

    /// <summary>The analyzer of the title-like fields: the named one, with mixed letter/digit words split into runs.</summary>
    public static Analyzer CreateTitle(string name, IndexOptions options) => new AlphaNumSplitting(Create(name, options));

    private static AnalyzerRegistry CreateRegistry()
    {
        var registry = new AnalyzerRegistry();
        registry.Register("cjk-bigram-unigram", o => new CjkBigramUnigramAnalyzer(o.FoldTraditional));
        registry.Register("whitespace", _ => new WhitespaceAnalyzer(LuceneVersion.LUCENE_48));
        return registry;
    }

    private sealed class AlphaNumSplitting(Analyzer inner) : AnalyzerWrapper(inner.Strategy)
    {
        protected override Analyzer GetWrappedAnalyzer(string fieldName) => inner;

        protected override TokenStreamComponents WrapComponents(string fieldName, TokenStreamComponents components) =>
            new(components.Tokenizer, new AlphaNumSplitFilter(components.TokenStream));

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// Lucene's CJK chain (standard tokenizer, width folding, lower case) with bigrams and unigrams; traditional
    /// characters folded first when asked.
    /// </summary>
    private sealed class CjkBigramUnigramAnalyzer(bool foldTraditional) : Analyzer, ITraditionalFolding
    {
        public bool FoldsTraditional => foldTraditional;

        protected override TextReader InitReader(string fieldName, TextReader reader) =>
            foldTraditional ? TraditionalChinese.FoldingReader(reader) : reader;

        protected override TokenStreamComponents CreateComponents(string fieldName, TextReader reader)
        {
            var source = new StandardTokenizer(LuceneVersion.LUCENE_48, reader);
            TokenStream result = new CJKWidthFilter(source);
            result = new LowerCaseFilter(LuceneVersion.LUCENE_48, result);
            result = new CJKBigramFilter(result, CJKScript.ALL, outputUnigrams: true);
            return new TokenStreamComponents(source, result);
        }
    }
}
