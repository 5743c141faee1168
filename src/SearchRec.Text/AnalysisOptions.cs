namespace SearchRec.Text;

/// <summary>Configuration for the analyzers made by <see cref="AnalyzerRegistry"/>.</summary>
public sealed class AnalysisOptions
{
    /// <summary>
    /// Path of a user dictionary (UTF-8 lines <c>word [frequency]</c>, see <see cref="ChineseSegmenter.LoadUserDictionary"/>)
    /// for brands and product terms. Default: null, the embedded jieba dictionary only.
    /// </summary>
    public string? UserDictionaryPath { get; init; }

    /// <summary>
    /// Path of a Solr-format synonym file (<c>a,b,c</c> equivalents; <c>a =&gt; b</c> one-way; <c>#</c> comments), used by
    /// the <c>searchrec</c> and <c>searchrec-accurate</c> analyzers. Default: null, no synonyms.
    /// </summary>
    public string? SynonymsPath { get; init; }

    /// <summary>
    /// Whether traditional Chinese characters are folded to simplified ones before analysis
    /// (<see cref="TraditionalChinese"/>), so <c>電競鍵盤</c> and <c>电竞键盘</c> are the same words. Applies to every
    /// analyzer the registry creates, synonym rules included. Write user dictionary words in simplified characters
    /// when it is on. Default true.
    /// </summary>
    public bool FoldTraditional { get; init; } = true;

    /// <summary>Checks the options; call at start-up.</summary>
    /// <exception cref="ArgumentException">A path is blank or names a missing file; the message names the field.</exception>
    public void Validate()
    {
        CheckPath(UserDictionaryPath, nameof(UserDictionaryPath));
        CheckPath(SynonymsPath, nameof(SynonymsPath));
    }

    private static void CheckPath(string? path, string field)
    {
        if (path is null) return;
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException($"AnalysisOptions.{field} is blank; leave it null for none.", field);
        if (!File.Exists(path))
            throw new ArgumentException($"AnalysisOptions.{field}: file '{path}' does not exist.", field);
    }
}
