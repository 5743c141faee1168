namespace SearchRec.Testing;

/// <summary>What the report tests read from a rendered HTML page.</summary>
public static class HtmlPages
{
    private const string Marker = "src=\"data:image/png;base64,";

    /// <summary>How many PNG charts the page embeds (as data URIs).</summary>
    public static int EmbeddedCharts(string html) => ChartSizes(html).Count;

    /// <summary>The width and height in pixels of each PNG chart the page embeds, in page order (read from the PNG header).</summary>
    public static IReadOnlyList<(int Width, int Height)> ChartSizes(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        var sizes = new List<(int, int)>();
        for (var i = html.IndexOf(Marker, StringComparison.Ordinal); i >= 0; i = html.IndexOf(Marker, i + 1, StringComparison.Ordinal))
        {
            var start = i + Marker.Length;
            var png = Convert.FromBase64String(html[start..html.IndexOf('"', start)]);
            // Signature (8 bytes), IHDR length and type (8), then width and height, big-endian.
            sizes.Add((System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20))));
        }
        return sizes;
    }
}
