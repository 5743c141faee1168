namespace SearchRec.Evaluation.Trec;

/// <summary>One evaluation query.</summary>
/// <param name="Id">The query id, as in the qrels.</param>
/// <param name="Text">The query text.</param>
public sealed record EvalQuery(string Id, string Text)
{
    /// <summary>The user who typed it, when known (from a <c>queries-users.tsv</c> side file).</summary>
    public long? UserId { get; init; }

    /// <summary>When it was typed (Unix seconds), when known; a personalised ranker may only use history before this.</summary>
    public long? Timestamp { get; init; }
}

/// <summary>A malformed line in a TREC or TSV input file; the message starts with <c>file:line:</c>.</summary>
public sealed class TrecFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public TrecFormatException(string file, long line, string reason) : base($"{file}:{line}: {reason}")
    {
        File = file;
        Line = line;
        Reason = reason;
    }

    /// <summary>The file as given.</summary>
    public string File { get; }

    /// <summary>The 1-based line number.</summary>
    public long Line { get; }

    /// <summary>What is wrong.</summary>
    public string Reason { get; }
}
