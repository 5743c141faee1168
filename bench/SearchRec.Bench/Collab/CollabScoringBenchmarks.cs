using BenchmarkDotNet.Attributes;
using SearchRec.Collab;
using SearchRec.Collab.Models;
using SearchRec.Core.Events;
using SearchRec.Synthetic;

namespace SearchRec.Bench.Collab;

/// <summary>Scoring 200 candidates for one user from their history (history built per call, as in a request), and similar items.</summary>
[MemoryDiagnoser]
public class CollabScoringBenchmarks
{
    private CollabModels _models = null!;
    private SimilarItems _similar = null!;
    private UserEvent[][] _histories = [];
    private long[] _candidates = [];
    private readonly float[] _scores = new float[200];
    private int _next;

    [Params("repeat", "item-item", "als", "blend")]
    public string Model { get; set; } = "blend";

    [GlobalSetup]
    public void Setup()
    {
        var shop = new ShopGenerator(new ShopOptions { Products = 20_000, Users = 5_000 });
        var events = shop.Events().ToList();
        _models = CollabModels.Train(events, new CollabOptions { AlsIterations = 5 });
        _similar = new SimilarItems(_models);
        _histories = events.GroupBy(e => e.UserId).Select(g => g.TakeLast(200).ToArray()).ToArray();
        var rng = new Random(1);
        _candidates = Enumerable.Range(0, 200).Select(_ => (long)rng.Next(1, 20_001)).ToArray();
    }

    [Benchmark]
    public float Score200()
    {
        var h = _histories[_next++ % _histories.Length];
        _models.Scorer(Model).Score(new UserHistory(h[0].UserId, h), _candidates, _scores);
        return _scores[0];
    }

    [Benchmark]
    public int SimilarWithUser()
    {
        var h = _histories[_next++ % _histories.Length];
        return _similar.Find(h[^1].ItemId, new UserHistory(h[0].UserId, h), 10).Count;
    }
}
