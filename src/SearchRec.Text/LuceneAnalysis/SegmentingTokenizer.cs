using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using SearchRec.Text.Internals;

namespace SearchRec.Text.LuceneAnalysis;

/// <summary>
/// Lucene tokenizer over <see cref="ChineseSegmenter"/>: reads the whole field value, normalises it (one UTF-16
/// unit to one, so offsets need no mapping beyond <see cref="Tokenizer.CorrectOffset"/>), and emits the words.
/// Search-mode sub-words come with position increment 0, stacked on their word. Dropped punctuation and symbols
/// (not spaces) advance the position, one per character, as a StopFilter does for removed words: jieba keeps each
/// such character as a token, and a field's length in positions (BM25's document length) then counts them too.
/// </summary>
internal sealed class SegmentingTokenizer : Tokenizer
{
    private readonly ChineseSegmenter _segmenter;
    private readonly SegmentMode _mode;
    private readonly bool _foldTraditional;
    private readonly ICharTermAttribute _term;
    private readonly IOffsetAttribute _offset;
    private readonly IPositionIncrementAttribute _posInc;
    private readonly TokenBuffer _tokens = new();
    private char[] _text = new char[256];
    private int _length;
    private int _next;
    private int _end;
    private bool _loaded;

    public SegmentingTokenizer(TextReader input, ChineseSegmenter segmenter, SegmentMode mode, bool foldTraditional)
        : base(input)
    {
        _segmenter = segmenter;
        _mode = mode;
        _foldTraditional = foldTraditional;
        _term = AddAttribute<ICharTermAttribute>();
        _offset = AddAttribute<IOffsetAttribute>();
        _posInc = AddAttribute<IPositionIncrementAttribute>();
    }

    public override bool IncrementToken()
    {
        ClearAttributes();
        if (!_loaded) Load();
        if (_next >= _tokens.Count) return false;
        SegToken t = _tokens[_next++];
        _term.CopyBuffer(_text, t.Start, t.Length);
        _offset.SetOffset(CorrectOffset(t.Start), CorrectOffset(t.End));
        var inc = t.PositionIncrement;
        if (inc > 0) inc += Dropped(_end, t.Start);
        if (t.End > _end) _end = t.End;
        _posInc.PositionIncrement = inc;
        return true;
    }

    public override void End()
    {
        base.End();
        if (!_loaded) Load();
        int final = CorrectOffset(_length);
        _offset.SetOffset(final, final);
        _posInc.PositionIncrement = Dropped(_end, _length);
    }

    public override void Reset()
    {
        base.Reset();
        _loaded = false;
        _length = 0;
        _next = 0;
        _end = 0;
        _tokens.Clear();
    }

    /// <summary>Characters in [from, to) that the segmenter dropped and that are not spaces (a surrogate pair is one).</summary>
    private int Dropped(int from, int to)
    {
        int n = 0;
        for (int i = from; i < to; i++)
        {
            char c = _text[i];
            if (!char.IsWhiteSpace(c) && !char.IsLowSurrogate(c)) n++;
        }
        return n;
    }

    private void Load()
    {
        _loaded = true;
        _length = 0;
        while (true)
        {
            if (_length == _text.Length) Array.Resize(ref _text, _text.Length * 2);
            int read = m_input.Read(_text, _length, _text.Length - _length);
            if (read <= 0) break;
            _length += read;
        }
        var span = _text.AsSpan(0, _length);
        TextNormalizer.Normalize(span, span);
        if (_foldTraditional) TraditionalChinese.ToSimplified(span, span);
        _segmenter.Segment(span, _mode, _tokens);
    }
}
