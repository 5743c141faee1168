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
