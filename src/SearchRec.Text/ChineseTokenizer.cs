namespace SearchRec.Text;

/// <summary>
/// <see cref="ITokenizer"/> over <see cref="ChineseSegmenter"/>: the same normalised words the <c>searchrec</c>
/// analyzer indexes (in search mode, sub-words follow their long word). It does not fold traditional characters
/// (the analyzers do, by default): callers that want the analyzer's words for such text pass it through
/// <see cref="TraditionalChinese.ToSimplified(string)"/> first. Thread-safe.
/// </summary>
public sealed class ChineseTokenizer : ITokenizer
{
    private readonly ChineseSegmenter _segmenter;
    private readonly SegmentMode _mode;

    /// <summary>Creates a tokenizer.</summary>
    /// <param name="segmenter">The segmenter; null uses <see cref="ChineseSegmenter.Default"/>.</param>
    /// <param name="mode">Segmentation mode; default <see cref="SegmentMode.Search"/>, as the title field is indexed.</param>
    public ChineseTokenizer(ChineseSegmenter? segmenter = null, SegmentMode mode = SegmentMode.Search)
    {
        _segmenter = segmenter ?? ChineseSegmenter.Default;
        _mode = mode;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Tokenize(string text) => _segmenter.Cut(text, _mode);
}
