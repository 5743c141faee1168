using System.Diagnostics;
using SearchRec.Deep.Model;
using SearchRec.Deep.Onnx;
using SearchRec.Deep.Scoring;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Deep.Tests;

public sealed class TowerParityTests
{
    private static BagTower RandomTower(int seed, int vocab = 500, int dim = 16, int hidden = 24, int output = 8)
    {
        var t = new BagTower("t", vocab, dim, hidden, output);
        t.Initialize(new Random(seed));
        var rng = new Random(seed + 100);
        for (var i = 0; i < t.B1.Length; i++) t.B1[i] = (float)(rng.NextDouble() - 0.5);
        for (var i = 0; i < t.B2.Length; i++) t.B2[i] = (float)(rng.NextDouble() - 0.5);
        return t;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void OnnxRuntimeOutputMatchesTheTrainingForwardPassOnRandomInputs(int seed)
    {
        TowerTestKit.AssertOnnxRuntimeMatchesForward(RandomTower(seed), seed * 7, batch: 5, length: 11, minId: 0, label: $"seed {seed}");
    }

    [ExternalFact("/usr/bin/python3", "-c \"import onnx\"")]
    public void ExportedTowerPassesTheOfficialOnnxChecker()
    {
        var tower = RandomTower(4);
        using var dir = new TempDir();
        var path = dir.File("t.onnx");
        File.WriteAllBytes(path, TowerExporter.Export(tower, "test"));
        var printed = TowerTestKit.RunOnnxChecker(path, "m.opset_import[0].version, [i.name for i in m.graph.input], [o.name for o in m.graph.output], m.graph.input[0].type.tensor_type.shape.dim[0].dim_param");
        Assert.Equal("13 ['ids', 'weights'] ['vector'] batch", printed);
    }

    [Fact]
    public void BackwardMatchesFiniteDifferencesOfTheForwardPass()
    {
        var t = RandomTower(9, vocab: 50, dim: 6, hidden: 7, output: 5);
        long[] ids = [3, 7, 7, 0, 12];
        float[] w = [1f, 0.5f, 2f, 0f, 1f];
        var dy = new float[] { 0.3f, -0.2f, 0.5f, 0.1f, -0.4f };
        float Objective()
        {
            var pp = new float[t.Dim]; var a = new float[t.Hidden]; var hh = new float[t.Hidden]; var b = new float[t.Output]; var yy = new float[t.Output];
            t.Forward(ids, w, pp, a, hh, b, yy);
            double s = 0; for (var i = 0; i < yy.Length; i++) s += yy[i] * dy[i];
            return (float)s;
        }
        var pooled = new float[t.Dim]; var z1 = new float[t.Hidden]; var h = new float[t.Hidden]; var z2 = new float[t.Output]; var y = new float[t.Output];
        var norm = t.Forward(ids, w, pooled, z1, h, z2, y);
        var g = new BagTower.DenseGrads(t);
        var dPooled = new float[t.Dim];
        t.Backward(pooled, z1, h, y, norm, dy, g, dPooled, new float[t.Output + 2 * t.Hidden]);
        const float eps = 1e-3f;
        foreach (var (param, grad) in new[] { (t.W1, g.W1), (t.W2, g.W2), (t.B1, g.B1), (t.B2, g.B2) })
        {
            for (var i = 0; i < param.Length; i += 3)
            {
                var keep = param[i];
                param[i] = keep + eps; var up = Objective();
                param[i] = keep - eps; var down = Objective();
                param[i] = keep;
                var numeric = (up - down) / (2 * eps);
                Assert.True(Math.Abs(numeric - grad[i]) < 2e-3, $"param {i}: numeric {numeric} vs analytic {grad[i]}");
            }
        }
    }
}
