using SearchRec.Core;
using SearchRec.Core.Statistics;
using static SearchRec.Evaluation.Reports.Html;

namespace SearchRec.Evaluation.Reports;

/// <summary>One recommender's value of each metric for every test user (the same users, in the same order, for every model).</summary>
/// <param name="Name">The model's name.</param>
/// <param name="PerUser">Metric name → one value per test user.</param>
public sealed record RecModelRun(string Name, IReadOnlyDictionary<string, double[]> PerUser)
{
    /// <summary>
    /// Figures of the whole run rather than of each user (coverage@K: the share of the catalog recommended to any test
    /// user), shown in a table of their own without intervals; empty when there are none.
    /// </summary>
    public IReadOnlyDictionary<string, double> Overall { get; init; } = new Dictionary<string, double>();
}

/// <summary>A model's mean of one metric, its 95% bootstrap interval over users, and the paired test against the reference.</summary>
/// <param name="Mean">Mean over users.</param>
/// <param name="Low">Lower end of the 95% bootstrap interval.</param>
/// <param name="High">Upper end.</param>
/// <param name="PValue">Two-sided paired randomisation test against the reference model (NaN for the reference itself).</param>
public readonly record struct RecMetricSummary(double Mean, double Low, double High, double PValue);

/// <summary>
/// A self-contained HTML report of a recommendation evaluation: every model's metrics with 95% bootstrap intervals
/// over users, paired randomisation tests against a reference model, and a bar chart per metric (PNG, embedded).
/// </summary>
public static class RecReport
{
    /// <summary>Means, intervals and p-values of every model and metric (the numbers the report shows).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, RecMetricSummary>> Summarize(IReadOnlyList<RecModelRun> models, string reference, IReadOnlyList<string> metrics)
    {
        Guard.NotNull(models);
        Guard.NotNull(reference);
        Guard.NotNull(metrics);
        var refRun = models.FirstOrDefault(m => m.Name == reference) ?? throw new ArgumentException($"reference model '{reference}' is not among the models ({string.Join(", ", models.Select(m => m.Name))}).", nameof(reference));
        var result = new Dictionary<string, IReadOnlyDictionary<string, RecMetricSummary>>(StringComparer.Ordinal);
        foreach (var m in models)
        {
            var row = new Dictionary<string, RecMetricSummary>(StringComparer.Ordinal);
            foreach (var metric in metrics)
            {
                if (!m.PerUser.TryGetValue(metric, out var v)) throw new ArgumentException($"model '{m.Name}' has no per-user values of '{metric}'.", nameof(models));
                var r = refRun.PerUser[metric];
                if (v.Length != r.Length) throw new ArgumentException($"model '{m.Name}' has {v.Length} users for '{metric}', the reference {r.Length}.", nameof(models));
                var (lo, hi) = SignificanceTests.BootstrapCi(v);
                var p = ReferenceEquals(m, refRun) ? double.NaN : SignificanceTests.PairedRandomization(v, r);
                row[metric] = new RecMetricSummary(v.Length == 0 ? 0 : v.Average(), lo, hi, p);
            }
            result[m.Name] = row;
        }
        return result;
    }

    /// <summary>Writes the report (creating the directory).</summary>
    /// <param name="path">The HTML file.</param>
    /// <param name="title">The heading.</param>
    /// <param name="notes">Paragraphs under the heading (protocol, data, what the reference is).</param>
    /// <param name="models">The models, in table order.</param>
    /// <param name="reference">The model the others are tested against.</param>
    /// <param name="metrics">The metrics, in column order.</param>
    public static void Write(string path, string title, IReadOnlyList<string> notes, IReadOnlyList<RecModelRun> models, string reference, IReadOnlyList<string> metrics)
    {
        Guard.NotNull(path);
        Html.Save(path, Render(title, notes, models, reference, metrics));
    }

    /// <summary>The report as one HTML string.</summary>
    public static string Render(string title, IReadOnlyList<string> notes, IReadOnlyList<RecModelRun> models, string reference, IReadOnlyList<string> metrics)
    {
        Guard.NotNull(title);
        Guard.NotNull(notes);
        var summary = Summarize(models, reference, metrics);
        var users = models.Count == 0 || metrics.Count == 0 ? 0 : models[0].PerUser[metrics[0]].Length;
        var h = Html.Begin(title);
        h.Append("<h1>").Append(Enc(title)).Append("</h1>");
        foreach (var n in notes) h.Append("<p>").Append(Enc(n)).Append("</p>");
        h.Append("<h2>Metrics</h2><p>").Append(Enc($"Mean over {users} test users, [95% bootstrap interval], p = two-sided paired randomisation test against {reference}.")).Append("</p><table class=\"metrics\"><tr><th>model</th>");
        foreach (var m in metrics) h.Append("<th>").Append(Enc(m)).Append("</th>");
        h.Append("</tr>");
        foreach (var model in models)
        {
            h.Append("<tr><td>").Append(Enc(model.Name)).Append("</td>");
            foreach (var m in metrics)
            {
                var s = summary[model.Name][m];
                h.Append("<td>").Append(F(s.Mean, 4)).Append(" <span class=\"ns\">[").Append(F(s.Low, 3)).Append(", ").Append(F(s.High, 3)).Append("]</span>");
                if (!double.IsNaN(s.PValue)) h.Append(s.PValue < 0.05 ? " <span class=\"sig\">" : " <span class=\"ns\">").Append("p=").Append(F(s.PValue, 4)).Append("</span>");
                h.Append("</td>");
            }
            h.Append("</tr>");
        }
        h.Append("</table>");
        // Coverage is one figure per run (the catalog's items recommended to anybody), so it has no interval over users.
        var overall = models.SelectMany(m => m.Overall.Keys).Distinct(StringComparer.Ordinal).ToList();
        if (overall.Count > 0)
        {
            h.Append("<h2>Catalog coverage</h2><p>").Append(Enc("The share of the catalog's items recommended to at least one test user in the first K: one figure per model, so no interval or test.")).Append("</p><table><tr><th>model</th>");
            foreach (var m in overall) h.Append("<th>").Append(Enc(m)).Append("</th>");
            h.Append("</tr>");
            foreach (var model in models)
            {
                h.Append("<tr><td>").Append(Enc(model.Name)).Append("</td>");
                foreach (var m in overall) h.Append("<td>").Append(model.Overall.TryGetValue(m, out var v) ? F(v, 4) : "–").Append("</td>");
                h.Append("</tr>");
            }
            h.Append("</table>");
        }
        h.Append("<h2>Charts</h2>");
        var names = models.Select(m => m.Name).ToArray();
        foreach (var m in metrics)
        {
            var ys = names.Select(n => summary[n][m].Mean).ToArray();
            var lows = names.Select(n => summary[n][m].Low).ToArray();
            var highs = names.Select(n => summary[n][m].High).ToArray();
            h.Append("<img alt=\"").Append(Enc(m)).Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(Charts.Bars(m, names, ys, lows, highs))).Append("\">");
        }
        End(h);
        return h.ToString();
    }
}
