using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;

namespace SearchRec.Evaluation.Reports;

/// <summary>What the HTML reports share: the page head and style, the closing footer, escaping and invariant number formatting.</summary>
internal static class Html
{
    /// <summary>Opens the page: doctype, title, the reports' style sheet and the body.</summary>
    public static StringBuilder Begin(string title) => new StringBuilder(64 * 1024)
        .Append("<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\"><title>").Append(Enc(title)).Append("</title><style>")
        .Append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}")
        .Append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}")
        .Append(".sig{color:#070;font-weight:bold}.ns{color:#888}.win{color:#070}.loss{color:#a00}img{max-width:100%}")
        // A metric cell wraps between its mean, interval and p-value, never inside one ("[0.000," over "0.081]"); a
        // ranker's name never breaks at its hyphen.
        .Append(".sig,.ns{white-space:nowrap}table.metrics td:first-child{white-space:nowrap}")
        .Append("td.text,th.text{text-align:left}footer{margin-top:2em;color:#666;font-size:90%}</style></head><body>");

    /// <summary>Closes the page with <see cref="Footer"/> of this build, the time now and this process's command line.</summary>
    public static void End(StringBuilder h) =>
        h.Append(Footer(Version(), DateTime.UtcNow, CommandLine())).Append("</body></html>\n");

    /// <summary>
    /// The footer that tells two reports apart: when and by which build it was written (version and commit), and the
    /// command that wrote it (<paramref name="args"/> without the program, null to leave it out), with the values of
    /// options that may hold a secret (an API key, a Redis connection string) left out.
    /// </summary>
    internal static string Footer(string version, DateTime utc, IReadOnlyList<string>? args)
    {
        var f = new StringBuilder("<footer>Written ")
            .Append(Enc(utc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))).Append(" by searchrec ").Append(Enc(version));
        if (args is not null) f.Append(". Command: <code>").Append(Enc(Redacted(args))).Append("</code>");
        return f.Append(".</footer>").ToString();
    }

    /// <summary>The build's version and commit (<c>1.0.0, commit 2c8990a07724</c>), from the informational version the SDK stamps.</summary>
    internal static string Version()
    {
        var v = typeof(Html).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
        var plus = v.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? v : $"{v[..plus]}, commit {v[(plus + 1)..Math.Min(v.Length, plus + 13)]}";
    }

    // Only the CLI's own command line says how a report was made; a test host's or another program's would mislead.
    private static string[]? CommandLine() =>
        Assembly.GetEntryAssembly()?.GetName().Name == "searchrec" ? Environment.GetCommandLineArgs()[1..] : null;

    private static string Redacted(IReadOnlyList<string> args)
    {
        var parts = new List<string>(args.Count + 1) { "searchrec" };
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            var eq = a.IndexOf('=', StringComparison.Ordinal);
            var name = a.StartsWith("--", StringComparison.Ordinal) ? (eq > 0 ? a[..eq] : a) : null;
            if (name is not null && IsSecret(name))
            {
                parts.Add(name + (eq > 0 ? "=…" : ""));
                if (eq < 0 && i + 1 < args.Count) { parts.Add("…"); i++; }
                continue;
            }
            parts.Add(a.Length == 0 || a.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'') ? "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : a);
        }
        return string.Join(' ', parts);
    }

    private static bool IsSecret(string option) =>
        option.Contains("key", StringComparison.OrdinalIgnoreCase) || option.Contains("redis", StringComparison.OrdinalIgnoreCase)
        || option.Contains("password", StringComparison.OrdinalIgnoreCase) || option.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || option.Contains("token", StringComparison.OrdinalIgnoreCase);

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
