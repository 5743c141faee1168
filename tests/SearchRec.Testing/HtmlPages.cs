namespace SearchRec.Testing;

/// <summary>What the report tests read from a rendered HTML page.</summary>
public static class HtmlPages
{
    /// <summary>How many PNG charts the page embeds (as data URIs).</summary>
    public static int EmbeddedCharts(string html)
    {
        const string Marker = "src=\"data:image/png;base64,";
        var charts = 0;
        for (var i = html.IndexOf(Marker, StringComparison.Ordinal); i >= 0; i = html.IndexOf(Marker, i + 1, StringComparison.Ordinal)) charts++;
        return charts;
    }
}
