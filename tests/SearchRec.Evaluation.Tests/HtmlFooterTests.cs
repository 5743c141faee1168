using SearchRec.Evaluation.Reports;
using Xunit;

namespace SearchRec.Evaluation.Tests;

public sealed class HtmlFooterTests
{
    /// <summary>Asserts that a rendered page closes with the footer naming when and by which build it was written.</summary>
    internal static void AssertFooter(string html)
    {
        Assert.Contains("<footer>Written ", html, StringComparison.Ordinal);
        Assert.Contains(" UTC by searchrec " + Html.Version(), html, StringComparison.Ordinal);
        Assert.EndsWith("</footer></body></html>\n", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_footer_names_the_time_the_build_and_the_command()
    {
        var footer = Html.Footer("1.0.0, commit 2c8990a07724", new DateTime(2026, 11, 24, 22, 30, 5, DateTimeKind.Utc), ["eval", "--ranker", "bm25,bm25-title", "--report", "out/a b.html"]);
        Assert.Equal("<footer>Written 2026-11-24 22:30 UTC by searchrec 1.0.0, commit 2c8990a07724. Command: <code>searchrec eval --ranker bm25,bm25-title --report &#39;out/a b.html&#39;</code>.</footer>", footer);
        Assert.DoesNotContain("Command", Html.Footer("1.0.0", DateTime.UnixEpoch, null), StringComparison.Ordinal);
    }

    [Fact]
    public void The_footer_leaves_out_the_values_of_options_that_may_hold_a_secret()
    {
        var footer = Html.Footer("1.0.0", DateTime.UnixEpoch, ["bench", "http", "--api-key", "s3cret-admin-key-1234", "--redis=host:6379,password=hunter2", "--events-key", "k2", "--requests", "300"]);
        Assert.DoesNotContain("s3cret", footer, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", footer, StringComparison.Ordinal);
        Assert.DoesNotContain("k2", footer, StringComparison.Ordinal);
        Assert.Contains("searchrec bench http --api-key … --redis=… --events-key … --requests 300", footer, StringComparison.Ordinal);
    }

    [Fact]
    public void The_version_carries_the_commit_the_build_was_made_from()
    {
        var informational = typeof(Html).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        if (plus < 0) Assert.Equal(informational, Html.Version());   // built outside a git checkout: no commit to name
        else Assert.Equal($"{informational[..plus]}, commit {informational.Substring(plus + 1, 12)}", Html.Version());
    }
}
