using Lucene.Net.Analysis;

namespace SearchRec.Text.LuceneAnalysis;

/// <summary>
/// Applies <see cref="TextNormalizer"/> (and, when asked, <see cref="TraditionalChinese"/>) to a reader. The mapping
/// is one UTF-16 unit to one, so offsets are unchanged.
/// </summary>
internal sealed class NormalizingCharFilter(TextReader input, bool foldTraditional) : CharFilter(input)
{
    public override int Read(char[] buffer, int index, int count)
    {
        int n = m_input.Read(buffer, index, count);
        if (n > 0)
        {
            var span = buffer.AsSpan(index, n);
            TextNormalizer.Normalize(span, span);
            if (foldTraditional) TraditionalChinese.ToSimplified(span, span);
        }
        return n;
    }

    public override int Read()
    {
        if (m_input.Read() is not (var c and >= 0)) return -1;
        var n = TextNormalizer.NormalizeChar((char)c);
        return foldTraditional ? TraditionalChinese.ToSimplified(n) : n;
    }

    protected override int Correct(int currentOff) => currentOff;
}
