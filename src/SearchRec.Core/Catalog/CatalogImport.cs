namespace SearchRec.Core.Catalog;

/// <summary>The outcome of reading catalog files: the accepted products and every rejected line.</summary>
public sealed class CatalogImport
{
    /// <summary>The accepted products, in file order.</summary>
    public List<Product> Products { get; } = [];

    /// <summary>The rejected lines, in file order.</summary>
    public List<ImportProblem> Problems { get; } = [];

    /// <summary>Non-blank lines read, a TSV header line not counted.</summary>
    public long LinesRead { get; internal set; }

    /// <summary>TSV header lines skipped (at most one per file).</summary>
    internal int HeaderLines { get; set; }

    /// <summary>Files that could not be opened at all.</summary>
    public List<string> UnreadableFiles { get; } = [];

    /// <summary>True when no line at all could be read (all files missing or empty).</summary>
    public bool NothingRead => LinesRead == 0 && HeaderLines == 0;

    /// <summary>One line for a person: read / accepted / rejected.</summary>
    public string Summary => $"read {LinesRead:N0} lines, accepted {Products.Count:N0}, rejected {Problems.Count:N0}"
        + (HeaderLines switch { 0 => "", 1 => "; a header line skipped", _ => $"; {HeaderLines} header lines skipped" });
}
