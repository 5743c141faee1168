using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Server.Tests;

public sealed class RedisCacheTests
{
    [ExternalFact("redis-server")]
    public async Task A_second_instance_reads_recall_results_from_the_shared_redis_level()
    {
        using var redis = RedisProcess.Start();
        var log = new MemoryEventLog();
        // Both instances load the same generation id ("fake1"), as two replicas of one deployment would.
        var loaderA = new FakeLoader(log);
        var loaderB = new FakeLoader(log);
        await using var a = await TestServer.StartAsync(loaderA, log, o => o.RedisConnectionString = redis.ConnectionString);
        await using var b = await TestServer.StartAsync(loaderB, log, o => o.RedisConnectionString = redis.ConnectionString);

        var fromA = await a.GetJsonAsync("/search?q=手机壳&k=4");
        Assert.Equal(1, loaderA.Latest.Recalls);
        var fromB = await b.GetJsonAsync("/search?q=手机壳&k=4");
        Assert.Equal(0, loaderB.Latest.Recalls);   // served from Redis, not recomputed
        Assert.Equal(fromA.GetProperty("results").ToString(), fromB.GetProperty("results").ToString());

        var similarA = await a.GetJsonAsync("/items/12/similar?k=3");
        var similarB = await b.GetJsonAsync("/items/12/similar?k=3");
        Assert.Equal(similarA.GetProperty("results").ToString(), similarB.GetProperty("results").ToString());
    }

    [ExternalFact("redis-server")]
    public async Task Start_up_says_whether_the_redis_level_answers()
    {
        using var redis = RedisProcess.Start();
        Assert.Equal($"redis {redis.ConnectionString}: connected, the second cache level", await SearchRecServer.DescribeRedisAsync(redis.ConnectionString));
        // A port nothing listens on: the service still serves, from memory, and says so.
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        Assert.Contains("not reachable; answers are cached in this process's memory only", await SearchRecServer.DescribeRedisAsync($"127.0.0.1:{port}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redis_that_does_not_answer_leaves_searches_served_from_memory_without_waiting_on_it()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var log = new MemoryEventLog();
        var loader = new FakeLoader(log);
        await using var s = await TestServer.StartAsync(loader, log, o => o.RedisConnectionString = $"127.0.0.1:{port}");
        // Each call used to wait out Redis's 5 s timeout two or three times; the breaker and the 0.5 s hard timeout
        // leave it at most one wait in ten seconds.
        var watch = Stopwatch.StartNew();
        string[] queries = ["手机壳", "连衣裙", "耳机", "手机壳", "连衣裙", "耳机", "手机", "裙子"];
        foreach (var q in queries)
            Assert.True((await s.GetJsonAsync($"/search?q={q}&k=3")).GetProperty("results").GetArrayLength() >= 0);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"{queries.Length} searches took {watch.Elapsed.TotalSeconds:F1} s with a dead redis");
        Assert.Equal(5, loader.Latest.Recalls);   // the repeats came from the memory level
    }

    /// <summary>A throw-away redis-server on a free loopback port, without persistence.</summary>
    private sealed class RedisProcess : IDisposable
    {
        private readonly Process _process;
        private RedisProcess(Process p, int port) { _process = p; ConnectionString = $"127.0.0.1:{port}"; }
        public string ConnectionString { get; }

        public static RedisProcess Start()
        {
            int port = FreePort();
            var psi = new ProcessStartInfo(Externals.Find("redis-server")!,
                $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no --protected-mode yes")
            { RedirectStandardOutput = true, RedirectStandardError = true };
            var p = Process.Start(psi)!;
            p.OutputDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    using var c = new TcpClient();
                    c.Connect(IPAddress.Loopback, port);
                    return new RedisProcess(p, port);
                }
                catch (SocketException) { Thread.Sleep(100); }
                if (p.HasExited) throw new InvalidOperationException($"redis-server exited with {p.ExitCode}");
            }
            p.Kill();
            throw new TimeoutException($"redis-server did not listen on port {port} within 15 s");
        }

        private static int FreePort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit(5000);
            _process.Dispose();
        }
    }
}
