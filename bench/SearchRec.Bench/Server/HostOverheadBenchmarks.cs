using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using SearchRec.Core;
using SearchRec.Index;
using SearchRec.Server;
using SearchRec.Server.Internals;

namespace SearchRec.Bench.Server;

/// <summary>
/// What the HTTP host adds per request on top of the stages: validating an event batch, renting the current
/// generation, normalising a query for the cache key.
/// </summary>
[MemoryDiagnoser]
public class HostOverheadBenchmarks
{
    private byte[] _batch = [];
    private ServiceState _state = null!;
    private NullShop _shop = null!;

    [GlobalSetup]
    public void Setup()
    {
        _shop = new NullShop();
        var rows = Enumerable.Range(0, 100).Select(i => $"{{\"user\":{i},\"item\":\"{1 + i % 50}\",\"behavior\":\"pv\",\"timestamp\":1700000000}}");
        _batch = Encoding.UTF8.GetBytes("[" + string.Join(",", rows) + "]");
        _state = new ServiceState(new ServiceGeneration("g", _shop, _shop, _shop, _shop, _shop, 0, new ShopSamples([], [], [])));
    }

    [Benchmark(Description = "parse + validate 100 events")]
    public int ParseBatch()
    {
        using var doc = JsonDocument.Parse(_batch);
        return EventParser.Parse(doc, _shop, 1000, 1_800_000_000).Events.Count;
    }

    [Benchmark(Description = "rent + return the generation")]
    public string Rent()
    {
        using var lease = _state.Rent();
        return lease.Generation.Id;
    }

    [Benchmark(Description = "normalise a query")]
    public string Normalise() => QueryParams.NormaliseQuery("  ＡＢＣ 连衣裙  女 夏季 ", 200);

    /// <summary>A catalog of 50 products; the other interfaces do nothing (not measured here).</summary>
    private sealed class NullShop : ICatalog, ISearchBackend, ISimilarBackend, IRecommendationBackend, IEventObserver
    {
        private readonly Dictionary<string, Product> _products = Enumerable.Range(1, 50)
            .ToDictionary(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture), i => Product.Of(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "t" + i));
        public int Count => _products.Count;
        public Product? Get(string productId) => _products.GetValueOrDefault(productId);
        public long CategoryIdOf(Product product) => 1;
        public IReadOnlyList<RecallCandidate> Recall(SearchQuery query) => [];
        public RankResult Rank(SearchQuery query, IReadOnlyList<RecallCandidate> candidates, long? userId, int k, bool explain) => new([], []);
        public IReadOnlyList<ScoredItem> Similar(string productId, long? userId, int k) => [];
        public IReadOnlyList<ScoredItem> Recommend(long userId, int k) => [];
        public void Observe(SearchRec.Core.Events.UserEvent userEvent) { }
    }
}
