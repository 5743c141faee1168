using System.Globalization;

namespace SearchRec.Cli.Commands;

/// <summary>How <c>search --explain</c> and <c>recommend --explain</c> print a feature's value.</summary>
internal static class ExplainText
{
    /// <summary>
    /// <paramref name="value"/> in <paramref name="format"/>, or <c>unknown</c> for a missing value (NaN: a user
    /// feature of an anonymous search, an item with no events), as the service's JSON null and the page say.
    /// </summary>
    public static string Value(float value, string format) =>
        float.IsNaN(value) ? "unknown" : value.ToString(format, CultureInfo.InvariantCulture);
}
