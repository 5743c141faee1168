using System.Diagnostics;
using SearchRec.Testing;
using Xunit;
using Xunit.Abstractions;

namespace SearchRec.Server.Tests;

public sealed class PageBrowserTests(ITestOutputHelper output)
{
    /// <summary>The repository's tests/e2e folder, found upwards from the test binary.</summary>
    internal static string E2eDir() =>
        FindE2eDir() ?? throw new DirectoryNotFoundException("tests/e2e/page.test.mjs not found above " + AppContext.BaseDirectory);

    /// <summary>The repository's tests/e2e folder, or null when there is none above the test binary.</summary>
    internal static string? FindE2eDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "e2e");
            if (File.Exists(Path.Combine(candidate, "page.test.mjs"))) return candidate;
        }
        return null;
    }

    [Fact]
    public void Browser_tests_are_skipped_naming_npm_ci_where_playwright_core_is_not_installed()
    {
        using var dir = new TempDir();
        Func<string, string?, bool> everything = (_, _) => true;

        Assert.Equal($"needs playwright-core: run 'npm ci' in {dir.Path} (./test.sh does)", BrowserFactAttribute.MissingReason(dir.Path, everything));
        Assert.Equal("needs 'node' (run ./test.sh as root to install it)", BrowserFactAttribute.MissingReason(dir.Path, (p, _) => p != "node"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "node_modules", "playwright-core"));
        Assert.Null(BrowserFactAttribute.MissingReason(dir.Path, everything));
    }

    internal static async Task<(int Exit, string Output)> RunPageTestAsync(string url, string screenshot, ITestOutputHelper output,
        string script = "page.test.mjs")
    {
        var e2e = E2eDir();
        if (!Directory.Exists(Path.Combine(e2e, "node_modules", "playwright-core")))
            throw new InvalidOperationException($"playwright-core is not installed: run 'npm ci' in {e2e} (test.sh does).");
        var psi = new ProcessStartInfo(Externals.Find("node") ?? "node")
        {
            WorkingDirectory = e2e,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(url);
        psi.ArgumentList.Add(screenshot);
        // The page test spells completions in pinyin with the service's own readings (one per character).
        psi.Environment["PAGE_PINYIN_FILE"] = PinyinFile.Value;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(timeout.Token);
        var text = await stdout + await stderr;
        output.WriteLine(text);
        return (p.ExitCode, text);
    }

    private static readonly Lazy<string> PinyinFile = new(() =>
    {
        var readings = new Dictionary<string, string>();
        for (var c = '\u4E00'; c < '\uA000'; c++)
            if (SearchRec.Text.Pinyin.ReadingsOf(c) is { IsEmpty: false } r) readings[c.ToString()] = r[0];
        var path = ScreenshotPath("pinyin.json");
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(readings));
        return path;
    });

    internal static string ScreenshotPath(string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name);
    }

    [BrowserFact]
    public async Task The_page_searches_shows_similar_items_and_sends_events_in_a_real_browser()
    {
        await using var s = await TestServer.StartFakeAsync(out _, out var log);
        var shot = ScreenshotPath("page-fake-shop.png");
        var (exit, text) = await RunPageTestAsync(s.Url + "/", shot, output);
        Assert.True(exit == 0, text);
        Assert.Contains("ok similar row", text);
        Assert.True(File.Exists(shot));
        output.WriteLine("screenshot: " + shot);
        Assert.True(log.Count >= 2);   // the click (pv) and the purchase (buy)
    }

    [BrowserFact]
    public async Task The_page_shows_hostile_catalog_text_as_text_and_stays_usable_by_keyboard_on_a_phone_and_when_the_service_fails()
    {
        using var shop = new HostileShop();
        var (s, store) = await shop.StartAsync();
        await using (s)
        using (store)
        {
            long before = store.Count;
            var shot = ScreenshotPath("page-hostile-shop.png");
            var (exit, text) = await RunPageTestAsync(s.Url + "/", shot, output, "page-hostile.test.mjs");
            Assert.True(exit == 0, text);
            Assert.DoesNotContain("FAIL", text);
            Assert.Contains("ok a brand with a right-to-left override does not reverse the price", text);
            Assert.True(store.Count > before, "the purchase on the hostile shop was stored");
            Assert.Contains(store.GetHistory(HostileShop.BigUser, 100), e => e.Behavior == SearchRec.Core.Events.Behavior.Buy);
        }
    }

    [BrowserFact]
    public async Task The_page_says_when_the_filters_empty_a_search_wraps_a_long_query_and_steps_back_through_its_searches_with_their_filters()
    {
        await RunOnFakeShopAsync("page-filters.test.mjs", "page-filters.png",
            "ok a search the filters leave empty names the filters",
            "ok Back past the first search shows the page as it opened",
            "ok the copied link opens the same filtered results");
    }

    [BrowserFact]
    public async Task The_page_names_each_buy_button_keeps_explain_and_a_lone_user_in_its_address_says_no_results_in_the_list_and_has_a_readable_footer()
    {
        await RunOnFakeShopAsync("page-a11y.test.mjs", "page-a11y.png",
            "ok each buy button is named",
            "ok Back restores explain",
            "ok picking again replaces the address, adding no history step",
            "ok a search the filters leave empty says so in the results area",
            "ok the footer's separators have");
    }

    // Runs an e2e page script against a fresh FakeShop server: it must exit 0, print no FAIL and print each line.
    private async Task RunOnFakeShopAsync(string script, string screenshot, params string[] okLines)
    {
        await using var s = await TestServer.StartFakeAsync(out _, out _);
        var (exit, text) = await RunPageTestAsync(s.Url + "/", ScreenshotPath(screenshot), output, script);
        Assert.True(exit == 0, text);
        Assert.DoesNotContain("FAIL", text);
        foreach (var line in okLines) Assert.Contains(line, text);
    }
}
