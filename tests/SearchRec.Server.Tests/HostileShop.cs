using SearchRec.Collab.Events;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Index;
using SearchRec.Server.Adapters;
using SearchRec.Testing;

namespace SearchRec.Server.Tests;

/// <summary>
/// A real shop (Lucene index, SQLite store, collaborative models) of five dresses whose titles, brands, categories
/// and example queries carry markup, quotes, ampersands, <c>&lt;/title&gt;</c>, template syntax and a right-to-left
/// override: what an attacker puts in a marketplace listing. Every product matches <c>连衣裙</c>.
/// </summary>
public sealed class HostileShop : IDisposable
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> None = new Dictionary<string, IReadOnlyList<string>>();
    private readonly TempDir _dir = new();

    /// <summary>The products; the fifth one's brand starts with U+202E and its price is 20.</summary>
    public static readonly Product[] Products =
    [
        new("1", "<script>alert('t1')</script> 连衣裙 恶意", "<img src=x onerror=alert('b1')>", ["女装", "<b>连衣裙</b>"], None, 99),
        new("2", "\"quoted\" 'single' & amp; </title><h1>x</h1> 连衣裙", "A&B \"co\"", ["女装", "</title>"], None, 199),
        new("3", "正常 连衣裙 红色", "ONLY", ["女装", "连衣裙"], None, 59.5),
        new("4", "javascript:alert(1) 连衣裙 <svg onload=alert(4)>", "x", ["女装", "连衣裙"], None, 10),
        new("5", "{{constructor.constructor('alert(5)')()}} 连衣裙 ${alert(5)}", "\u202Eevil", ["女装", "连衣裙"], None, 20),
    ];

    /// <summary>A user id past 2^53, which a JavaScript Number cannot hold (it becomes ...992); the third sample user.</summary>
    public const long BigUser = 9007199254740993;

    /// <summary>Example queries the page offers: markup again.</summary>
    public static readonly string[] Queries = ["<script>alert('q')</script>", "连衣裙", "\"><img src=x onerror=alert('q2')>"];

    public HostileShop()
    {
        IndexPath = _dir.File("index");
        using (ProductIndex.Build(Products, new IndexOptions(), IndexPath)) { }
        QueriesPath = _dir.File("queries.tsv");
        File.WriteAllLines(QueriesPath, Queries.Select((q, i) => $"{i + 1}\t{q}"));
        var csv = _dir.File("events.csv");
        File.WriteAllLines(csv, ["1,1,0,buy,1700000000", "2,3,0,pv,1700000001", "2,2,0,buy,1700000002", "1,5,0,pv,1700000003",
            $"{BigUser},4,0,pv,1700000004"]);
        EventsPath = _dir.File("events.db");
        CollabPath = _dir.File("collab");
        using (var store = new SqliteEventStore(EventsPath, new SqliteEventStoreOptions { SynchronousFull = false }))
        {
            store.Import(csv);
            CollabModels.Train(store.ReadAll(), new CollabOptions { SkipAls = true, Threads = 1 }).Save(CollabPath);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    public string IndexPath { get; }
    public string QueriesPath { get; }
    public string EventsPath { get; }
    public string CollabPath { get; }

    /// <summary>Serves the shop over its SQLite store with the real stages.</summary>
    internal async Task<(TestServer Server, SqliteEventStore Store)> StartAsync()
    {
        var store = new SqliteEventStore(EventsPath, new SqliteEventStoreOptions { SynchronousFull = false });
        var log = new EventStoreLog(store);
        var loader = new ShopLoader(new ShopLoaderOptions
        {
            IndexPath = IndexPath, CollabModelsPath = CollabPath, QueriesPath = QueriesPath, WarmUp = TimeSpan.Zero,
        }, log);
        return (await TestServer.StartAsync(loader, log), store);
    }

    public void Dispose() => _dir.Dispose();
}
