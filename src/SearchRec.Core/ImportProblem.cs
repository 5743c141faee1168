namespace SearchRec.Core;

/// <summary>A rejected input line: where it was and why.</summary>
/// <param name="File">The file name as given by the caller.</param>
/// <param name="Line">The 1-based line number.</param>
/// <param name="Reason">What is wrong, naming the field where there is one.</param>
public sealed record ImportProblem(string File, long Line, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}:{Line}: {Reason}";
}
