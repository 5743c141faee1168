namespace SearchRec.Text;

/// <summary>A stretch of a text: <paramref name="Start"/> and <paramref name="Length"/> in UTF-16 units.</summary>
/// <param name="Start">Offset of the first unit.</param>
/// <param name="Length">Units it covers.</param>
public readonly record struct TextSpan(int Start, int Length);

/// <summary>
/// Marks where a query's words occur in a text, for showing a search result's title with what matched it
/// highlighted. Words are compared as the analyzers see them (case, width and traditional characters folded, all
/// one UTF-16 unit to one, so the spans are offsets into the text as given). A Latin or digit word matches only
/// whole (<c>a</c> is not marked inside <c>iphone</c>); Chinese has no word boundaries, so a Chinese word matches
/// wherever it occurs. Thread-safe.
/// </summary>
public static class TextHighlighter
{
    private static readonly ChineseTokenizer Tokenizer = new();

    /// <summary>The words of <paramref name="query"/> to mark: the title field's words of it (search mode, so sub-words too), distinct, longest first.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> is null.</exception>
    public static string[] Words(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var words = new List<string>();
        foreach (var w in Tokenizer.Tokenize(TraditionalChinese.ToSimplified(query)))
            if (w.Length > 0 && !words.Contains(w)) words.Add(w);
        words.Sort(static (a, b) => b.Length.CompareTo(a.Length));
        return [.. words];
    }

    /// <summary>
    /// Where <paramref name="words"/> (from <see cref="Words"/>) occur in <paramref name="text"/>, in order, spans that
    /// overlap or touch merged into one; empty when none does.
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IReadOnlyList<TextSpan> Find(string text, IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(words);
        if (text.Length == 0 || words.Count == 0) return [];
        var folded = TextNormalizer.Normalize(TraditionalChinese.ToSimplified(text));
        // Which units some word covers; a title is short, so a flag per unit is the simplest exact merge.
        Span<bool> marked = folded.Length <= 512 ? stackalloc bool[folded.Length] : new bool[folded.Length];
        var any = false;
        foreach (var word in words)
        {
            if (word.Length == 0) continue;
            var whole = IsWordChar(word[0]) && word[0] < 0x80;
            for (var at = folded.IndexOf(word, StringComparison.Ordinal); at >= 0; at = folded.IndexOf(word, at + 1, StringComparison.Ordinal))
            {
                var end = at + word.Length;
                if (whole && ((at > 0 && IsAsciiWordChar(folded[at - 1])) || (end < folded.Length && IsAsciiWordChar(folded[end])))) continue;
                marked[at..end].Fill(true);
                any = true;
            }
        }
        if (!any) return [];
        var spans = new List<TextSpan>();
        for (var i = 0; i < marked.Length;)
        {
            if (!marked[i]) { i++; continue; }
            var start = i;
            while (i < marked.Length && marked[i]) i++;
            spans.Add(new TextSpan(start, i - start));
        }
        return spans;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c);

    private static bool IsAsciiWordChar(char c) => c < 0x80 && char.IsLetterOrDigit(c);
}
