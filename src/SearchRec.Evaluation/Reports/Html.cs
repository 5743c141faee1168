using System.Globalization;
using System.Net;
using System.Text;

namespace SearchRec.Evaluation.Reports;

/// <summary>What the HTML reports share: the page head and style, escaping and invariant number formatting.</summary>
internal static class Html
{
    /// <summary>Opens the page: doctype, title, the reports' style sheet and the body.</summary>
    public static StringBuilder Begin(string title) => new StringBuilder(64 * 1024)
        .Append("<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\"><title>").Append(Enc(title)).Append("</title><style>")
        .Append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}")
        .Append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}")
        .Append(".sig{color:#070;font-weight:bold}.ns{color:#888}.win{color:#070}.loss{color:#a00}img{max-width:100%}</style></head><body>");

    /// <summary>Writes the page (creating the directory), UTF-8 without a byte-order mark.</summary>
    public static void Save(string path, string html)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, html, new UTF8Encoding(false));
    }

    public static string Enc(string s) => WebUtility.HtmlEncode(s);

    public static string F(double v, int digits) => v.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
