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
    private static readonly ChineseTokenizer WholeWords = new(mode: SegmentMode.Accurate);

    // Function words a query may hold that would mark half of every title.
    private static readonly System.Buffers.SearchValues<char> FunctionWords = System.Buffers.SearchValues.Create("的和与及了在是有也或之");

    /// <summary>
    /// The words of <paramref name="query"/> to mark: the title field's words of it (search mode, so sub-words too),
    /// distinct, longest first; one-character function words (的, 和, 与 …) are left out.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> is null.</exception>
    public static string[] Words(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var words = DistinctWords(Tokenizer, query);
        words.Sort(static (a, b) => b.Length.CompareTo(a.Length));
        return [.. words];
    }

    /// <summary>
    /// The whole words of <paramref name="query"/> (accurate mode: <c>碎花连衣裙</c> is <c>碎花</c>, <c>连衣裙</c>), distinct,
    /// function words left out: what a text must hold all of to be about the whole query (<see cref="HoldsEvery"/>).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> is null.</exception>
    public static string[] WholeWordsOf(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return [.. DistinctWords(WholeWords, query)];
    }

    // The query's words as `tokenizer` cuts it (traditional characters folded), in order, once each, function words left out.
    private static List<string> DistinctWords(ChineseTokenizer tokenizer, string query)
    {
        var words = new List<string>();
        foreach (var w in tokenizer.Tokenize(TraditionalChinese.ToSimplified(query)))
            if (w.Length > 0 && !(w.Length == 1 && FunctionWords.Contains(w[0])) && !words.Contains(w)) words.Add(w);
        return words;
    }

    /// <summary>Whether <paramref name="text"/> holds every one of <paramref name="words"/>, compared as <see cref="Find"/> does; true when there are none.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static bool HoldsEvery(string text, IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(words);
        var folded = TextNormalizer.Normalize(TraditionalChinese.ToSimplified(text));
        foreach (var word in words)
            if (word.Length > 0 && FirstOccurrence(folded, word, 0) < 0) return false;
        return true;
    }

    // The first place from `from` where `word` occurs in `folded`, a Latin or digit word only whole; -1 when none.
    private static int FirstOccurrence(string folded, string word, int from)
    {
        var whole = IsWordChar(word[0]) && word[0] < 0x80;
        for (var at = folded.IndexOf(word, from, StringComparison.Ordinal); at >= 0; at = folded.IndexOf(word, at + 1, StringComparison.Ordinal))
        {
            var end = at + word.Length;
            if (whole && ((at > 0 && IsAsciiWordChar(folded[at - 1])) || (end < folded.Length && IsAsciiWordChar(folded[end])))) continue;
            return at;
        }
        return -1;
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
            for (var at = FirstOccurrence(folded, word, 0); at >= 0; at = FirstOccurrence(folded, word, at + 1))
            {
                marked[at..(at + word.Length)].Fill(true);
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
