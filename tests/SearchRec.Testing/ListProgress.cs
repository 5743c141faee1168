namespace SearchRec.Testing;

/// <summary>Collects progress reports in a list, synchronously (Progress&lt;T&gt; would post them to the thread pool).</summary>
public sealed class ListProgress(List<string> lines) : IProgress<string>
{
    /// <inheritdoc />
    public void Report(string value)
    {
        lock (lines) lines.Add(value);
    }
}
