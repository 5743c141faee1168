using System.Diagnostics;
using SearchRec.Deep.Model;
using SearchRec.Deep.Onnx;
using SearchRec.Deep.Scoring;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Deep.Tests;

/// <summary>Checks the tower tests share: ONNX Runtime against the C# forward pass, and the official onnx.checker.</summary>
internal static class TowerTestKit
{
    /// <summary>
    /// Exports <paramref name="tower"/>, encodes a random batch (ids from <paramref name="minId"/>, a quarter of the
    /// weights zero, one all-padding row) with ONNX Runtime, and asserts every output is within 1e-4 of C#'s.
    /// </summary>
    public static void AssertOnnxRuntimeMatchesForward(BagTower tower, int seed, int batch, int length, int minId, string label)
    {
        using var dir = new TempDir();
        var path = dir.File("t.onnx");
        File.WriteAllBytes(path, TowerExporter.Export(tower, "test"));
        using var session = TowerSession.Open(path, new DeepScorerOptions(), tower.Output);
        var rng = new Random(seed);
        var ids = new long[batch * length];
        var w = new float[batch * length];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = minId + rng.Next(tower.Vocab - minId);
            w[i] = rng.Next(4) == 0 ? 0f : (float)rng.NextDouble() * 2;
        }
        Array.Clear(w, 0, length); // one all-padding row
        var ort = new float[batch * tower.Output];
        session.Encode(ids, w, batch, length, ort);
        var pooled = new float[tower.Dim]; var z1 = new float[tower.Hidden]; var h = new float[tower.Hidden]; var z2 = new float[tower.Output];
        var y = new float[tower.Output];
        for (var b = 0; b < batch; b++)
        {
            tower.Forward(ids.AsSpan(b * length, length), w.AsSpan(b * length, length), pooled, z1, h, z2, y);
            for (var o = 0; o < tower.Output; o++)
                Assert.True(Math.Abs(y[o] - ort[b * tower.Output + o]) <= 1e-4, $"{label} row {b} dim {o}: C# {y[o]} vs ORT {ort[b * tower.Output + o]}");
        }
    }

    /// <summary>
    /// Runs onnx.checker (full check) on the file with /usr/bin/python3, asserts it passes, and returns what
    /// <paramref name="printExpression"/> (Python over the loaded model <c>m</c>) printed.
    /// </summary>
    public static string RunOnnxChecker(string path, string printExpression)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print(" + printExpression + ")");
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000));
        Assert.True(p.ExitCode == 0, $"{Path.GetFileName(path)}: {stderr}");
        return stdout.Trim();
    }
}
