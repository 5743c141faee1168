namespace SearchRec.Text.Internals;

/// <summary>One word found by the segmenter: a slice of the normalised text and its position increment.</summary>
internal readonly struct SegToken(int start, int length, int positionIncrement)
{
    public int Start { get; } = start;
    public int Length { get; } = length;
    public int PositionIncrement { get; } = positionIncrement;
    public int End => Start + Length;
}

/// <summary>A growable, reusable list of <see cref="SegToken"/> (one per tokenizer or call; not thread-safe).</summary>
internal sealed class TokenBuffer
{
    private SegToken[] _items = new SegToken[64];

    public int Count { get; private set; }

    public SegToken this[int index] => _items[index];

    public void Clear() => Count = 0;

    public void Add(int start, int length, int positionIncrement)
    {
        if (Count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        _items[Count++] = new SegToken(start, length, positionIncrement);
    }
}
