using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using SearchRec.Server;

namespace SearchRec.Server.Tests;

/// <summary>A real service on a free loopback port with an <see cref="HttpClient"/> pointed at it.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public const string ApiKey = "test-admin-key-0123456789";
    public const string EventsKey = "test-events-key-0123456789";

    private TestServer(WebApplication app, HttpClient client, IEventLog log, IGenerationLoader loader)
    {
        App = app;
        Client = client;
        Log = log;
        Loader = loader;
    }

    public WebApplication App { get; }
    public HttpClient Client { get; }
    public IEventLog Log { get; }
    public IGenerationLoader Loader { get; }
    public string Url => Client.BaseAddress!.ToString().TrimEnd('/');

    public static async Task<TestServer> StartAsync(IGenerationLoader loader, IEventLog log, Action<ServerOptions>? configure = null)
    {
        var options = new ServerOptions { Urls = "http://127.0.0.1:0", ApiKey = ApiKey, EventsKey = EventsKey };
        configure?.Invoke(options);
        var app = await SearchRecServer.BuildAsync(options, loader, log);
        await app.StartAsync();
        var url = SearchRecServer.Addresses(app)[0];
        var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
        return new TestServer(app, client, log, loader);
    }

    public static Task<TestServer> StartFakeAsync(out FakeLoader loader, out MemoryEventLog log, Action<ServerOptions>? configure = null, TimeSpan? loadDelay = null)
    {
        log = new MemoryEventLog();
        loader = new FakeLoader(log, loadDelay);
        return StartAsync(loader, log, configure);
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var r = await Client.GetAsync(path);
        var body = await r.Content.ReadAsStringAsync();
        if (!r.IsSuccessStatusCode) throw new HttpRequestException($"{path} -> {(int)r.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<HttpResponseMessage> PostEventsAsync(string json, string? key = ApiKey)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (key is not null) req.Headers.Add("X-Api-Key", key);
        return await Client.SendAsync(req);
    }

    public async Task<HttpResponseMessage> ReloadAsync(bool retrain = false)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "/admin/reload" + (retrain ? "?retrain=true" : ""));
        req.Headers.Add("X-Api-Key", ApiKey);
        return await Client.SendAsync(req);
    }

    public static async Task<(int Status, JsonElement Body)> ReadAsync(HttpResponseMessage r)
    {
        var text = await r.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return ((int)r.StatusCode, body);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
