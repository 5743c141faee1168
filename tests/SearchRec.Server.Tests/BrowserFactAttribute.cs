using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>
/// A test that drives the page in a real browser (<c>tests/e2e</c>, through <see cref="PageBrowserTests.RunPageTestAsync"/>).
/// It needs chromium and node on PATH and playwright-core installed in <c>tests/e2e</c> (<c>npm ci</c>, which
/// test.sh runs); where one is missing the test is skipped naming it, as the README says of every test that uses
/// outside programs. Before, only chromium was checked, so a fresh checkout with chromium but without
/// <c>npm ci</c> failed three tests instead of skipping them. With <c>SEARCHREC_REQUIRE_EXTERNALS=1</c> (CI) the
/// tests always run, and fail without them.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    /// <summary>Skips the test when something the browser tests need is missing.</summary>
    public BrowserFactAttribute()
    {
        if (Externals.Required) return;
        Skip = MissingReason(PageBrowserTests.FindE2eDir(), Externals.IsAvailable);
    }

    /// <summary>Why the browser tests cannot run here, or null when they can.</summary>
    /// <param name="e2eDir">The tests/e2e folder, or null when it was not found.</param>
    /// <param name="onPath">Whether a program is on PATH.</param>
    internal static string? MissingReason(string? e2eDir, Func<string, string?, bool> onPath)
    {
        foreach (var program in (ReadOnlySpan<string>)["chromium", "node"])
            if (!onPath(program, null)) return $"needs '{program}' (run ./test.sh as root to install it)";
        if (e2eDir is null) return "needs tests/e2e/page.test.mjs above the test binary";
        if (!Directory.Exists(Path.Combine(e2eDir, "node_modules", "playwright-core")))
            return $"needs playwright-core: run 'npm ci' in {e2eDir} (./test.sh does)";
        return null;
    }
}
