using Lucene.Net.Analysis;

namespace SearchRec.Text.LuceneAnalysis;

/// <summary>
/// Applies <see cref="TextNormalizer"/> to a reader. The mapping is one UTF-16 unit to one, so offsets are unchanged.
/// </summary>
internal sealed class NormalizingCharFilter(TextReader input) : CharFilter(input)
{
    public override int Read(char[] buffer, int index, int count)
    {
        int n = m_input.Read(buffer, index, count);
        if (n > 0)
        {
            var span = buffer.AsSpan(index, n);
            TextNormalizer.Normalize(span, span);
        }
        return n;
    }

    public override int Read() => m_input.Read() is var c and >= 0 ? TextNormalizer.NormalizeChar((char)c) : -1;

    protected override int Correct(int currentOff) => currentOff;
}
