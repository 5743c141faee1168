namespace SearchRec.Text;

/// <summary>
/// Turns product or query text into normalised words (the same words the index's segmented title field holds).
/// Used outside Lucene: by the deep model's text tower and by the ranker's query-term features. Thread-safe.
/// </summary>
public interface ITokenizer
{
    /// <summary>The normalised words of <paramref name="text"/>, in order; punctuation dropped.</summary>
    IReadOnlyList<string> Tokenize(string text);
}
