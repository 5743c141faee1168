using Lucene.Net.Analysis;

namespace SearchRec.Text.LuceneAnalysis;

/// <summary>Applies <see cref="TraditionalChinese"/> to a reader; one UTF-16 unit to one, so offsets are unchanged.</summary>
internal sealed class TraditionalFoldingCharFilter(TextReader input) : CharFilter(input)
{
    public override int Read(char[] buffer, int index, int count)
    {
        int n = m_input.Read(buffer, index, count);
        if (n > 0)
        {
            var span = buffer.AsSpan(index, n);
            TraditionalChinese.ToSimplified(span, span);
        }
        return n;
    }

    public override int Read() => m_input.Read() is var c and >= 0 ? TraditionalChinese.ToSimplified((char)c) : -1;

    protected override int Correct(int currentOff) => currentOff;
}

/// <summary>Any analyzer with its input folded from traditional to simplified characters first.</summary>
internal sealed class TraditionalFoldingAnalyzer(Analyzer inner) : AnalyzerWrapper(inner.Strategy)
{
    protected override Analyzer GetWrappedAnalyzer(string fieldName) => inner;

    protected override TextReader WrapReader(string fieldName, TextReader reader) => new TraditionalFoldingCharFilter(reader);

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
