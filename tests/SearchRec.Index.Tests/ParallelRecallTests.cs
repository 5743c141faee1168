using SearchRec.Index.Internals;
using Xunit;

namespace SearchRec.Index.Tests;

/// <summary>Recall split between threads (<see cref="IndexOptions.RecallParallelism"/>) returns what one thread returns.</summary>
public sealed class ParallelRecallTests(SyntheticIndex shop) : IClassFixture<SyntheticIndex>
{
    private readonly ProductIndex _index = shop.Index;

    /// <summary>Pieces of titles, brands, categories, whole titles and typos, with filters and several N.</summary>
    private List<RecallRequest> Requests(int count, int seed)
    {
        var rng = new Random(seed);
        var result = new List<RecallRequest>(count);
        for (var i = 0; i < count; i++)
        {
            var p = shop.Products[rng.Next(shop.Products.Count)];
            var len = Math.Min(p.Title.Length, rng.Next(1, 12));
            var piece = p.Title.Substring(rng.Next(p.Title.Length - len + 1), len);
            var text = (i % 6) switch
            {
                0 => p.Brand ?? piece,
                1 => p.Category.Count > 0 ? p.Category[^1] : piece,
                2 => (p.Brand ?? "") + " " + piece,
                3 => p.Title,
                4 => piece.Length > 2 ? piece.Remove(rng.Next(piece.Length), 1).Insert(1, "\u9F98") : piece,
                _ => piece,
            };
            var r = new RecallRequest(text) { TopN = (i % 4) switch { 0 => 10, 1 => 50, 2 => 200, _ => 1000 } };
            result.Add((i % 9) switch
            {
                6 => r with { PriceMin = (p.Price ?? 100) * 0.5, PriceMax = (p.Price ?? 100) * 1.5 },
                7 => r with { Brand = p.Brand ?? "无" },
                8 => r with { Fields = RecallFields.Bigram },
                _ => r,
            });
        }
        return result;
    }

    private static void AssertIdentical(IReadOnlyList<RecallCandidate> serial, IReadOnlyList<RecallCandidate> parallel, RecallRequest r, int threads)
    {
        Assert.True(serial.Count == parallel.Count, $"'{r.Query}' top {r.TopN}: {serial.Count} candidates on one thread, {parallel.Count} on {threads}");
        for (var i = 0; i < serial.Count; i++)
        {
            Assert.True(serial[i] == parallel[i], $"'{r.Query}' top {r.TopN}, rank {i}: {serial[i]} on one thread, {parallel[i]} on {threads}");
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Split_segments_give_exactly_the_serial_results(int threads)
    {
        var requests = Requests(500, seed: 21);
        var serial = new List<IReadOnlyList<RecallCandidate>>(requests.Count);
        foreach (var r in requests) serial.Add(_index.Recall(r));
        var split = 0;
        try
        {
            _index.RecallParallelism = threads;
            _index.RecallParallelMinPostings = 0;
            // As many workers as asked, whatever this machine's cores.
            _index.RecallCores = 64;
            for (var i = 0; i < requests.Count; i++)
            {
                var parallel = _index.Recall(requests[i]);
                if (_index.LastRecallWork.ParallelSegments > 0) split++;
                AssertIdentical(serial[i], parallel, requests[i], threads);
            }
        }
        finally
        {
            _index.RestoreRecallSplitting();
        }
        // The check above means something only if many requests were really split.
        Assert.True(split > requests.Count / 4, $"only {split} of {requests.Count} requests split a segment");
    }

    [Fact]
    public void Concurrent_callers_each_with_helpers_get_the_serial_results()
    {
        var requests = Requests(240, seed: 8);
        var serial = new IReadOnlyList<RecallCandidate>[requests.Count];
        for (var i = 0; i < requests.Count; i++) serial[i] = _index.Recall(requests[i]);
        try
        {
            _index.RecallParallelism = 2;
            _index.RecallParallelMinPostings = 0;
            // Split even while the other callers run (by default a recall splits only onto idle cores).
            _index.RecallCores = 64;
            var next = -1;
            var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var callers = new Thread[4];
            for (var c = 0; c < callers.Length; c++)
            {
                callers[c] = new Thread(() =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < requests.Count)
                    {
                        var got = _index.Recall(requests[i]);
                        if (!got.SequenceEqual(serial[i])) failures.Enqueue($"'{requests[i].Query}' top {requests[i].TopN}");
                    }
                });
                callers[c].Start();
            }
            foreach (var t in callers) t.Join();
            Assert.True(failures.IsEmpty, "differ from one thread: " + string.Join("; ", failures.Take(5)));
        }
        finally
        {
            _index.RestoreRecallSplitting();
        }
    }

    [Fact]
    public void Without_the_option_below_the_cut_or_on_one_core_no_segment_is_split()
    {
        var r = new RecallRequest(shop.Products[3].Title) { TopN = 200 };
        try
        {
            _index.RecallParallelism = 1;
            _index.RecallParallelMinPostings = 0;
            _index.RecallCores = 64;
            _index.Recall(r);
            Assert.Equal(0, _index.LastRecallWork.ParallelSegments);
            _index.RecallParallelism = 2;
            _index.Recall(r);
            Assert.True(_index.LastRecallWork.ParallelSegments > 0);
            _index.RecallCores = 1;
            _index.Recall(r);
            Assert.Equal(0, _index.LastRecallWork.ParallelSegments);
            _index.RecallCores = 64;
            _index.RecallParallelMinPostings = int.MaxValue;
            _index.Recall(r);
            Assert.Equal(0, _index.LastRecallWork.ParallelSegments);
        }
        finally
        {
            _index.RestoreRecallSplitting();
        }
    }

    [Fact]
    public void An_index_opened_with_the_option_splits_and_a_bad_value_is_refused()
    {
        using var dir = new SearchRec.Testing.TempDir();
        var path = dir.File("idx");
        var products = shop.Products.Take(4000).ToList();
        var q = new RecallRequest(products[5].Title);
        List<RecallCandidate> serial;
        using (var index = ProductIndex.Build(products, new IndexOptions { RecallParallelism = 1 }, path)) serial = [.. index.Recall(q)];
        File.WriteAllText(Path.Combine(path, "searchrec-index.json"),
            File.ReadAllText(Path.Combine(path, "searchrec-index.json")).Replace("\"RecallParallelism\": 1", "\"RecallParallelism\": 2"));
        using (var reopened = ProductIndex.Open(path))
        {
            Assert.Equal(2, reopened.Options.RecallParallelism);
            Assert.Equal(2, reopened.RecallParallelism);
            Assert.Equal(serial, reopened.Recall(q));
            Assert.Throws<ArgumentOutOfRangeException>(() => reopened.RecallParallelism = 0);
        }
        Assert.Throws<ArgumentException>(() => ProductIndex.Build(products, new IndexOptions { RecallParallelism = 9 }));
    }
}
