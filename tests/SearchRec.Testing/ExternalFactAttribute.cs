using System.Diagnostics;
using Xunit;

namespace SearchRec.Testing;

/// <summary>
/// A fact that needs a program from outside .NET (redis-server, chromium, python3 with onnx, node).
/// When the program is missing the test is skipped with a message — unless SEARCHREC_REQUIRE_EXTERNALS=1
/// (set by CI), where the test runs and fails, so CI can never pass by skipping.
/// </summary>
public sealed class ExternalFactAttribute : FactAttribute
{
    /// <param name="program">An executable looked up on PATH, e.g. <c>redis-server</c>.</param>
    /// <param name="probeArgs">Optional arguments; the program must exit 0 with them (e.g. <c>-c "import onnx"</c>).</param>
    public ExternalFactAttribute(string program, string? probeArgs = null)
    {
        if (Externals.Required) return;
        if (!Externals.IsAvailable(program, probeArgs))
            Skip = $"needs '{program}{(probeArgs is null ? "" : " " + probeArgs)}' (run ./test.sh as root to install it)";
    }
}

/// <summary>Looks up external programs for tests.</summary>
public static class Externals
{
    /// <summary>True when CI demands that external-program tests run.</summary>
    public static bool Required => Environment.GetEnvironmentVariable("SEARCHREC_REQUIRE_EXTERNALS") == "1";

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? Find(string program)
    {
        if (Path.IsPathRooted(program)) return File.Exists(program) ? program : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>True when the program exists and, if probe arguments are given, exits 0 with them within 20 s.</summary>
    public static bool IsAvailable(string program, string? probeArgs = null)
    {
        var path = Find(program);
        if (path is null) return false;
        if (probeArgs is null) return true;
        try
        {
            using var p = Process.Start(new ProcessStartInfo(path, probeArgs) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            return p.WaitForExit(20_000) && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }
}
