using BenchmarkDotNet.Attributes;
using SearchRec.Core;
using SearchRec.Index;
using SearchRec.Synthetic;

namespace SearchRec.Bench.Index;

/// <summary>
/// Reading a search window's products from the index (what the ranker's fetch stage does for 200 candidates when they
/// are not held in memory): from each product's binary doc value (<see cref="IndexOptions.ProductDocValues"/>, the
/// default) or from the stored fields of an index built without them. 100,000 synthetic products in on-disk indexes
/// (as the service opens them), 200 random ids; the whole <see cref="ProductIndex.GetProduct"/>, id look-up included.
/// </summary>
[MemoryDiagnoser]
public class ProductReadBenchmarks
{
    private const int Window = 200;
    private ProductIndex _docValues = null!;
    private ProductIndex _stored = null!;
    private string[] _ids = [];
    private string _dir = "";

    [GlobalSetup]
    public void Setup()
    {
        var products = new ShopGenerator(new ShopOptions { Products = 100_000, Users = 100 }).Products().ToList();
        _dir = Path.Combine(Path.GetTempPath(), "searchrec-bench-product-read");
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        ProductIndex.Build(products, new IndexOptions(), Path.Combine(_dir, "dv")).Dispose();
        ProductIndex.Build(products, new IndexOptions { ProductDocValues = false }, Path.Combine(_dir, "stored")).Dispose();
        _docValues = ProductIndex.Open(Path.Combine(_dir, "dv"));
        _stored = ProductIndex.Open(Path.Combine(_dir, "stored"));
        if (!_docValues.HasProductDocValues || _stored.HasProductDocValues) throw new InvalidOperationException("the two indexes should differ in product doc values");
        var rng = new Random(3);
        _ids = Enumerable.Range(0, Window).Select(_ => products[rng.Next(products.Count)].Id).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _docValues.Dispose();
        _stored.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public int StoredFields200() => Read(_stored);

    [Benchmark]
    public int DocValues200() => Read(_docValues);

    private int Read(ProductIndex index)
    {
        var chars = 0;
        foreach (var id in _ids) chars += index.GetProduct(id)!.Title.Length;
        return chars;
    }
}
