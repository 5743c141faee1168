using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SearchRec.Evaluation.Reports;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace SearchRec.Cli.Commands;

/// <summary>
/// <c>searchrec bench http</c>: a bounded load test against a running service on loopback — concurrent clients
/// sending a mix of personalised searches (with a chosen repeat rate), similar-items calls and event batches —
/// printing throughput and p50/p95/p99 per endpoint, errors, and whether every acknowledged event is in the store.
/// </summary>
public sealed class BenchHttpCommand : IBenchCommand
{
    private static readonly string[] Kinds = ["search", "similar", "events", "recommend", "suggest"];

    /// <inheritdoc />
    public Command Build()
    {
        var url = new Option<string>("--url") { Description = "The service's base address.", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var requests = new Option<int>("--requests") { Description = "Total requests to send.", DefaultValueFactory = _ => 5_000 };
        var clients = new Option<int>("--clients") { Description = "Concurrent clients.", DefaultValueFactory = _ => 8 };
        var repeat = new Option<double>("--repeat-rate") { Description = "Share of searches that repeat an earlier query (0: every query new, so recall is never cached).", DefaultValueFactory = _ => 0.3 };
        var mix = new Option<string>("--mix") { Description = "Shares of search,similar,events,recommend[,suggest] (suggest: a search-bar completion of the first 1-3 characters of a sample query, half of those whose typed characters are all Chinese typed in pinyin instead, whole or as initials; 0 when left out).", DefaultValueFactory = _ => "0.7,0.15,0.1,0.05" };
        var anonymous = new Option<double>("--anonymous") { Description = "Share of searches without a user.", DefaultValueFactory = _ => 0.2 };
        var reload = new Option<bool>("--reload-during") { Description = "POST /admin/reload when a tenth of the requests are done (needs the API key)." };
        var apiKey = new Option<string?>("--api-key") { Description = "Admin key (X-Api-Key) for events, counting and reload. Default: $SEARCHREC_API_KEY." };
        var seed = new Option<int>("--seed") { Description = "Random seed of the request plan.", DefaultValueFactory = _ => 1 };
        var json = new Option<string?>("--json") { Description = "Also write the figures to this JSON file." };
        var report = new Option<string>("--report") { Description = "HTML page of the latency distributions per endpoint (percentile table and charts).", DefaultValueFactory = _ => "out/bench-http.html" };
        var cmd = new Command("http", "Load-test a running service: personalised searches, similar items, events; throughput and latency percentiles per endpoint.");
        foreach (var o in new Option[] { url, requests, clients, repeat, mix, anonymous, reload, apiKey, seed, json, report }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var key = pr.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("SEARCHREC_API_KEY");
            var shares = ParseMix(pr.GetValue(mix)!);
            if (shares is null) { Console.Error.WriteLine("bench http: --mix must be four or five non-negative numbers (search,similar,events,recommend[,suggest]) with a positive sum, e.g. 0.7,0.15,0.1,0.05"); return 2; }
            int n = pr.GetValue(requests), c = pr.GetValue(clients);
            double rr = pr.GetValue(repeat), anon = pr.GetValue(anonymous);
            if (n < 1) { Console.Error.WriteLine("bench http: --requests must be positive"); return 2; }
            if (c is < 1 or > 1024) { Console.Error.WriteLine("bench http: --clients must be in [1, 1024]"); return 2; }
            if (rr is < 0 or > 1) { Console.Error.WriteLine("bench http: --repeat-rate must be in [0, 1]"); return 2; }
            if (anon is < 0 or > 1) { Console.Error.WriteLine("bench http: --anonymous must be in [0, 1]"); return 2; }
            if (key is null && (shares[2] > 0 || pr.GetValue(reload)))
            { Console.Error.WriteLine("bench http: events and --reload-during need --api-key (or $SEARCHREC_API_KEY)"); return 2; }
            return await RunAsync(new Uri(pr.GetValue(url)!.TrimEnd('/') + "/"), n, c, rr, shares, anon, pr.GetValue(reload), key,
                pr.GetValue(seed), pr.GetValue(json), pr.GetValue(report)!, ct);
        });
        return cmd;
    }

    private static double[]? ParseMix(string s)
    {
        var parts = s.Split(',');
        if (parts.Length is not (4 or 5)) return null;
        var v = new double[5];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || v[i] < 0) return null;
        double sum = v.Sum();
        return sum > 0 ? v.Select(x => x / sum).ToArray() : null;
    }

    private sealed record Planned(int Kind, string Path, string? Body, int Events);

    private static async Task<int> RunAsync(Uri baseUri, int n, int clients, double repeatRate, double[] mix, double anonymous,
        bool reloadDuring, string? key, int seed, string? jsonPath, string reportPath, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients + 2, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null) http.DefaultRequestHeaders.Add("X-Api-Key", key);

        JsonElement samples;
        long before = -1;
        try
        {
            samples = JsonDocument.Parse(await http.GetStringAsync("samples", ct)).RootElement.Clone();
            if (key is not null) before = await CountAsync(http, ct);
        }
        catch (HttpRequestException ex)
        {
            Console.Error.WriteLine($"bench http: cannot reach {baseUri}: {CliErrors.Message(ex)} (start it with `searchrec serve` or `searchrec demo`)");
            return 2;
        }
        var queries = samples.GetProperty("queries").EnumerateArray().Select(q => q.GetString()!).ToArray();
        var items = samples.GetProperty("itemIds").EnumerateArray().Select(q => q.GetString()!).ToArray();
        var users = samples.GetProperty("userIds").EnumerateArray().Select(q => q.GetInt64()).ToArray();
        // Only what the mix asks for: a shop with no queries file can still be measured on its feeds and similar items.
        var missing = new List<string>();
        if ((mix[0] > 0 || mix[4] > 0) && queries.Length == 0) missing.Add("queries (start `serve` with --queries FILE, or leave searches out of --mix)");
        if (mix[1] + mix[2] > 0 && items.Length == 0) missing.Add("items (its index is empty)");
        if (users.Length == 0) missing.Add("users (its event store is empty)");
        if (missing.Count > 0)
        {
            Console.Error.WriteLine($"bench http: the service offers no sample {string.Join(", ", missing)} at /samples");
            return 2;
        }

        var plan = MakePlan(n, repeatRate, mix, anonymous, queries, items, users, seed, out int plannedEvents);
        var latencies = Kinds.Select(_ => new List<double>(n)).ToArray();
        var errors = new int[Kinds.Length];
        var firstErrors = new List<string>();
        long ackedEvents = 0, duplicateEvents = 0;
        double reloadEndedAt = -1;
        int next = -1, done = 0;
        string reloadNote = "none";
        var reloadTask = Task.CompletedTask;
        int reloadStarted = 0;
        Console.Error.WriteLine($"bench http: {n:N0} requests, {clients} clients, repeat rate {repeatRate:P0}, mix search/similar/events/recommend/suggest = {string.Join("/", mix.Select(m => m.ToString("P0", CultureInfo.InvariantCulture)))}, against {baseUri}");
        var wall = Stopwatch.StartNew();
        using var progressTimer = new Timer(_ => Console.Error.WriteLine($"  {Volatile.Read(ref done):N0}/{n:N0} requests, {Volatile.Read(ref done) / wall.Elapsed.TotalSeconds:F0}/s"), null, 2000, 2000);

        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                int i = Interlocked.Increment(ref next);
                if (i >= plan.Length || ct.IsCancellationRequested) return;
                if (reloadDuring && i >= n / 10 && Interlocked.Exchange(ref reloadStarted, 1) == 0)
                    reloadTask = Task.Run(async () =>
                    {
                        reloadNote = await ReloadAsync(http, ct);
                        reloadEndedAt = wall.Elapsed.TotalSeconds;
                    }, ct);
                var p = plan[i];
                long t0 = Stopwatch.GetTimestamp();
                string? error = null;
                try
                {
                    using var req = new HttpRequestMessage(p.Body is null ? HttpMethod.Get : HttpMethod.Post, p.Path);
                    if (p.Body is not null) req.Content = new StringContent(p.Body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
                    using var resp = await http.SendAsync(req, ct);
                    var body = await resp.Content.ReadAsStringAsync(ct);
                    if (!resp.IsSuccessStatusCode) error = $"{Kinds[p.Kind]} {(int)resp.StatusCode}: {Clip(body)}";
                    else if (p.Kind == 2)
                    {
                        var root = JsonDocument.Parse(body).RootElement;
                        Interlocked.Add(ref ackedEvents, root.GetProperty("accepted").GetInt32());
                        Interlocked.Add(ref duplicateEvents, root.GetProperty("duplicates").GetInt32());
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
                {
                    error = $"{Kinds[p.Kind]} {ex.GetType().Name}: {ex.Message}";
                }
                double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                lock (latencies)
                {
                    latencies[p.Kind].Add(ms);
                    if (error is not null) { errors[p.Kind]++; if (firstErrors.Count < 5) firstErrors.Add(error); }
                }
                Interlocked.Increment(ref done);
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
        double seconds = wall.Elapsed.TotalSeconds;
        await reloadTask;
        progressTimer.Change(Timeout.Infinite, Timeout.Infinite);

        long after = key is not null ? await CountAsync(http, ct) : -1;
        var rows = new List<Dictionary<string, object>>();
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"bench http: {n:N0} requests from {clients} clients in {seconds:F1} s = {n / seconds:F0} req/s; machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        sb.AppendLine("endpoint      requests  errors   req/s     p50 ms    p95 ms    p99 ms    max ms");
        for (int k = 0; k < Kinds.Length; k++)
        {
            var l = latencies[k];
            if (l.Count == 0) continue;
            l.Sort();
            double p50 = Pct(l, 0.50), p95 = Pct(l, 0.95), p99 = Pct(l, 0.99);
            sb.AppendLine(CultureInfo.InvariantCulture, $"{Kinds[k],-12} {l.Count,9:N0} {errors[k],7} {l.Count / seconds,7:F0} {p50,10:F2} {p95,9:F2} {p99,9:F2} {l[^1],9:F2}");
            rows.Add(new() { ["endpoint"] = Kinds[k], ["requests"] = l.Count, ["errors"] = errors[k], ["rps"] = l.Count / seconds, ["p50"] = p50, ["p95"] = p95, ["p99"] = p99, ["max"] = l[^1] });
        }
        int totalErrors = errors.Sum();
        sb.AppendLine(CultureInfo.InvariantCulture, $"errors: {totalErrors}{(firstErrors.Count > 0 ? " — " + string.Join(" | ", firstErrors) : "")}");
        string overlap = reloadEndedAt < 0 ? "" : reloadEndedAt <= seconds
            ? string.Create(CultureInfo.InvariantCulture, $" (swapped at {reloadEndedAt:F1} s, while requests ran)")
            : " (finished after the last request: use more --requests to overlap the swap)";
        sb.AppendLine(CultureInfo.InvariantCulture, $"reload during run: {reloadNote}{overlap}");
        bool eventsOk = true;
        if (key is not null)
        {
            eventsOk = after - before == ackedEvents - duplicateEvents;
            sb.AppendLine(CultureInfo.InvariantCulture, $"events: {ackedEvents:N0} acknowledged (of {plannedEvents:N0} sent; {duplicateEvents} were exact duplicates the store folds); store grew {before:N0} -> {after:N0} (+{after - before:N0}): {(eventsOk ? "every acknowledged event is stored" : "MISMATCH")}");
        }
        Console.Write(sb.ToString());
        // The page's notes: the printed lines other than the endpoint table, which the page shows as its own table.
        var printed = sb.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var notes = new List<string> { printed[0], string.Create(CultureInfo.InvariantCulture, $"repeat rate {repeatRate:P0}, mix search/similar/events/recommend/suggest = {string.Join("/", mix.Select(m => m.ToString("P0", CultureInfo.InvariantCulture)))}, against {baseUri}") };
        notes.AddRange(printed.Skip(2 + rows.Count));
        var series = new List<LatencySeries>();
        for (int k = 0; k < Kinds.Length; k++) if (latencies[k].Count > 0) series.Add(new LatencySeries(Kinds[k], latencies[k]));
        var fullReport = Path.GetFullPath(reportPath);
        LatencyReport.Write(fullReport, "bench http: latency per endpoint", notes, series);
        Console.Error.WriteLine($"bench http: report {fullReport}");
        if (jsonPath is not null)
        {
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(new
            {
                url = baseUri.ToString(), requests = n, clients, repeatRate, seconds, throughput = n / seconds, endpoints = rows,
                errors = totalErrors, reload = reloadNote, reloadEndedAt, eventsAcknowledged = ackedEvents, duplicateEvents, storeBefore = before, storeAfter = after, eventsOk,
                cores = Environment.ProcessorCount,
            }, new JsonSerializerOptions { WriteIndented = true }), ct);
            Console.Error.WriteLine($"bench http: figures written to {jsonPath}");
        }
        return totalErrors == 0 && eventsOk ? 0 : 1;
    }

    private static Planned[] MakePlan(int n, double repeatRate, double[] mix, double anonymous, string[] queries, string[] items, long[] users,
        int seed, out int plannedEvents)
    {
        var rng = new Random(seed);
        var plan = new Planned[n];
        var issued = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        plannedEvents = 0;
        for (int i = 0; i < n; i++)
        {
            double r = rng.NextDouble();
            int kind = 0;
            for (double edge = mix[0]; kind < mix.Length - 1 && r >= edge; edge += mix[++kind]) { }
            while (mix[kind] == 0) kind--;   // rounding can leave r past the last positive share
            long user = users[rng.Next(users.Length)];
            switch (kind)
            {
                case 0:
                {
                    string q;
                    if (issued.Count > 0 && rng.NextDouble() < repeatRate)
                        q = issued[(int)(issued.Count * Math.Pow(rng.NextDouble(), 2))];   // skewed to early (popular) queries
                    else q = FreshQuery(rng, queries, seen);
                    issued.Add(q);
                    string u = rng.NextDouble() < anonymous ? "" : "&user=" + user.ToString(CultureInfo.InvariantCulture);
                    plan[i] = new Planned(0, $"search?q={Uri.EscapeDataString(q)}&k=10{u}", null, 0);
                    break;
                }
                case 1:
                    plan[i] = new Planned(1, $"items/{items[rng.Next(items.Length)]}/similar?k=10&user={user}", null, 0);
                    break;
                case 2:
                {
                    int m = 1 + rng.Next(5);
                    var rows = new string[m];
                    for (int e = 0; e < m; e++)
                    {
                        // Times spread over the past week, so exact duplicates (which the store folds) stay rare.
                        string behavior = rng.NextDouble() switch { < 0.8 => "pv", < 0.9 => "cart", < 0.95 => "fav", _ => "buy" };
                        long ts = now - rng.Next(1, 7 * 86_400);
                        rows[e] = $"{{\"user\":{user},\"item\":\"{items[rng.Next(items.Length)]}\",\"behavior\":\"{behavior}\",\"timestamp\":{ts}}}";
                    }
                    plannedEvents += m;
                    plan[i] = new Planned(2, "events", "[" + string.Join(",", rows) + "]", m);
                    break;
                }
                case 3:
                    plan[i] = new Planned(3, $"users/{user}/recommendations?k=10", null, 0);
                    break;
                default:
                {
                    // What a search box asks while the shopper types the start of a query; half of the time in
                    // pinyin, whole or as initials, when every typed character is Chinese (a prefix holding a space or a letter stays as it is).
                    string q = queries[rng.Next(queries.Length)];
                    string typed = q[..Math.Min(q.Length, 1 + rng.Next(3))];
                    if (rng.Next(2) == 0 && typed.All(c => !SearchRec.Text.Pinyin.ReadingsOf(c).IsEmpty))
                        typed = rng.Next(2) == 0
                            ? string.Concat(typed.Select(c => SearchRec.Text.Pinyin.ReadingsOf(c)[0]))
                            : string.Concat(typed.Select(c => SearchRec.Text.Pinyin.ReadingsOf(c)[0][0]));
                    plan[i] = new Planned(4, $"suggest?q={Uri.EscapeDataString(typed)}&k=8", null, 0);
                    break;
                }
            }
        }
        return plan;
    }

    /// <summary>A query not issued before: a sample query, later two samples joined (as people refine queries).</summary>
    private static string FreshQuery(Random rng, string[] queries, HashSet<string> seen)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            string a = queries[rng.Next(queries.Length)];
            string q = attempt == 0 && !seen.Contains(a) ? a : a + " " + queries[rng.Next(queries.Length)].Split(' ')[0];
            if (q.Length <= 200 && seen.Add(q)) return q;
        }
        string fallback = queries[rng.Next(queries.Length)] + " " + seen.Count.ToString(CultureInfo.InvariantCulture);
        seen.Add(fallback);
        return fallback;
    }

    private static async Task<long> CountAsync(HttpClient http, CancellationToken ct)
    {
        var body = await http.GetStringAsync("admin/events/count", ct);
        return JsonDocument.Parse(body).RootElement.GetProperty("count").GetInt64();
    }

    private static async Task<string> ReloadAsync(HttpClient http, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        using var resp = await http.PostAsync("admin/reload", null, ct);
        var body = await resp.Content.ReadAsStringAsync(ct);
        return $"HTTP {(int)resp.StatusCode} after {sw.Elapsed.TotalSeconds:F1} s: {Clip(body)}";
    }

    private static double Pct(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static string Clip(string s) => s.Length <= 160 ? s : s[..160] + "…";
}
