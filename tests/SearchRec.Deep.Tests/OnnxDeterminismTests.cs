using SearchRec.Core.Events;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Training;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Deep.Tests;

public sealed class OnnxDeterminismTests
{
    [Fact]
    public void A_tower_gives_the_same_floats_wherever_the_input_arrays_lie_in_memory()
    {
        var events = new List<UserEvent>();
        var rng = new Random(3);
        for (var u = 0; u < 400; u++)
        {
            long ts = 1000;
            for (var k = 0; k < 60; k++) events.Add(new UserEvent(u, rng.Next(20_000), rng.Next(300), (Behavior)rng.Next(4), ts += 1 + rng.Next(5)));
        }
        using var dir = new TempDir();
        DeepTraining.TrainBehaviour(events, dir.Path, new DeepTrainingOptions { BehaviourEpochs = 2 });
        using var tower = TowerSession.Open(Path.Combine(dir.Path, "user-tower.onnx"), new DeepScorerOptions(), null);
        const int n = 100; // a full history bag: 50 events, item and category ids
        var spacers = new List<byte[]>();
        for (var seed = 5; seed < 9; seed++)
        {
            var values = new Random(seed);
            var ids0 = new long[n];
            var w0 = new float[n];
            for (var i = 0; i < n; i++) { ids0[i] = values.Next(1, 139_000); w0[i] = (float)values.NextDouble(); }
            var outputs = new HashSet<string>();
            for (var k = 0; k < 64; k++)
            {
                // Arrays of other sizes in between move the next ones to other addresses (and alignments).
                spacers.Add(new byte[k + 1]);
                var ids = (long[])ids0.Clone();
                spacers.Add(new byte[3]);
                var w = (float[])w0.Clone();
                var v = new float[tower.Dim];
                tower.Encode(ids, w, 1, n, v);
                outputs.Add(string.Join(",", v.Select(BitConverter.SingleToUInt32Bits)));
            }
            Assert.True(outputs.Count == 1, $"input {seed}: {outputs.Count} different outputs");
        }
    }
}
