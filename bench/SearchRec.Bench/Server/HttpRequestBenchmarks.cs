using System.Globalization;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using SearchRec.Core;
using SearchRec.Index;
using SearchRec.Server;

namespace SearchRec.Bench.Server;

/// <summary>
/// What the HTTP layer allocates per request: the real service (Kestrel, the middleware, query-string validation, the
/// FusionCache answer cache, JSON writing, metrics) over a shop whose stages hand back prebuilt answers and allocate
/// nothing, asked over one keep-alive connection by a client that allocates nothing either (synchronous socket calls
/// into fixed buffers). So the bytes the memory diagnoser counts (every thread's) are the host's, plus whatever
/// Kestrel's and the runtime's background threads allocate meanwhile. <c>/healthz</c> is the floor: Kestrel, the
/// middleware and a small JSON answer.
/// </summary>
[MemoryDiagnoser]
public class HttpRequestBenchmarks
{
    private WebApplication _app = null!;
    private Socket _socket = null!;
    private readonly byte[] _buffer = new byte[1 << 16];
    private byte[] _search = [], _searchPersonal = [], _similar = [], _health = [];

    [GlobalSetup]
    public void Setup()
    {
        var options = new ServerOptions { Urls = "http://127.0.0.1:0", ApiKey = "bench-admin-key-0123456789", EventsKey = "bench-events-key-0123456789" };
        _app = SearchRecServer.BuildAsync(options, new FixedLoader(), new NullLog()).GetAwaiter().GetResult();
        _app.StartAsync().GetAwaiter().GetResult();
        var uri = new Uri(SearchRecServer.Addresses(_app)[0]);
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _socket.Connect(uri.Host, uri.Port);
        _search = Request("/search?q=%E8%BF%9E%E8%A1%A3%E8%A3%99&k=10");
        _searchPersonal = Request("/search?q=%E8%BF%9E%E8%A1%A3%E8%A3%99&user=7&k=10");
        _similar = Request("/items/3/similar?k=10");
        _health = Request("/healthz");
        // The answer cache holds the recall and the items from the first call on.
        for (int i = 0; i < 200; i++) { Search(); SimilarItems(); }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _socket.Dispose();
        _app.StopAsync().GetAwaiter().GetResult();
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "GET /healthz (the floor)")]
    public int Health() => Exchange(_health);

    [Benchmark(Description = "GET /search, anonymous, k 10")]
    public int Search() => Exchange(_search);

    [Benchmark(Description = "GET /search, user 7, k 10")]
    public int SearchPersonal() => Exchange(_searchPersonal);

    [Benchmark(Description = "GET /items/{id}/similar, k 10")]
    public int SimilarItems() => Exchange(_similar);

    private static byte[] Request(string path) =>
        Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n");

    /// <summary>Sends a request and reads its whole answer (chunked, or with a Content-Length); returns its length.</summary>
    private int Exchange(byte[] request)
    {
        _socket.Send(request);
        int n = 0, headerEnd = -1;
        while (true)
        {
            int got = _socket.Receive(_buffer, n, _buffer.Length - n, SocketFlags.None);
            if (got == 0) throw new InvalidOperationException("the service closed the connection");
            n += got;
            var span = _buffer.AsSpan(0, n);
            if (headerEnd < 0) headerEnd = span.IndexOf("\r\n\r\n"u8);
            if (headerEnd < 0) continue;
            var head = span[..headerEnd];
            if (!head.StartsWith("HTTP/1.1 200"u8)) throw new InvalidOperationException(Encoding.ASCII.GetString(head));
            int cl = head.IndexOf("Content-Length: "u8);
            if (cl >= 0)
            {
                var rest = head[(cl + 16)..];
                int eol = rest.IndexOf("\r\n"u8);
                int length = int.Parse(eol < 0 ? rest : rest[..eol], CultureInfo.InvariantCulture);
                if (n >= headerEnd + 4 + length) return n;
            }
            else if (span.EndsWith("\r\n0\r\n\r\n"u8)) return n;
        }
    }

    private sealed class NullLog : IEventLog
    {
        public EventAppendResult Append(IReadOnlyList<SearchRec.Core.Events.UserEvent> events) => new(events.Count, events.Count);
        public long Count => 0;
    }

    private sealed class FixedLoader : IGenerationLoader
    {
        public Task<ServiceGeneration> LoadAsync(ReloadRequest request, IProgress<string>? progress, CancellationToken cancellationToken)
        {
            var shop = new FixedShop();
            return Task.FromResult(new ServiceGeneration("bench", shop, shop, shop, shop, shop, 0, new ShopSamples(["连衣裙"], ["1"], [7])));
        }
    }

    /// <summary>200 products; every stage hands back the same prebuilt answer.</summary>
    private sealed class FixedShop : ICatalog, ISearchBackend, ISimilarBackend, IRecommendationBackend, IEventObserver
    {
        private readonly Dictionary<string, Product> _products = new(StringComparer.Ordinal);
        private readonly RecallCandidate[] _recall;
        private readonly RankResult _ranked;
        private readonly ScoredItem[] _similar;

        public FixedShop()
        {
            for (int i = 1; i <= 200; i++)
            {
                string id = i.ToString(CultureInfo.InvariantCulture);
                _products[id] = new Product(id, $"新款 连衣裙 夏季 {i}号", "品牌" + (i % 7), ["女装", "连衣裙"], new Dictionary<string, IReadOnlyList<string>>(), 10 + i);
            }
            _recall = [.. Enumerable.Range(1, 200).Select(i => new RecallCandidate(i - 1, i.ToString(CultureInfo.InvariantCulture), 20f - i * 0.01f, new FieldScores(1, 0, 0, 0, 0)))];
            _ranked = new RankResult([.. Enumerable.Range(1, 10).Select(i => new RankedHit((i * 3).ToString(CultureInfo.InvariantCulture), 2.0 - i * 0.1, null))],
                [new("features", 0.01), new("model", 0.01)]);
            _similar = [.. Enumerable.Range(10, 20).Select(i => new ScoredItem(i.ToString(CultureInfo.InvariantCulture), 1.0 - i * 0.01, "item-cf"))];
        }

        public int Count => _products.Count;
        public Product? Get(string productId) => _products.GetValueOrDefault(productId);
        public long CategoryIdOf(Product product) => 1;
        public IReadOnlyList<RecallCandidate> Recall(SearchQuery query) => _recall;
        public RankResult Rank(SearchQuery query, IReadOnlyList<RecallCandidate> candidates, long? userId, int k, bool explain) => _ranked;
        public IReadOnlyList<ScoredItem> Similar(string productId, long? userId, int k) => _similar;
        public IReadOnlyList<ScoredItem> Recommend(long userId, int k) => _similar;
        public void Observe(SearchRec.Core.Events.UserEvent userEvent) { }
    }
}
