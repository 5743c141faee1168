using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace SearchRec.Server.Tests;

/// <summary>What the console log holds at each <c>--log-level</c>.</summary>
public sealed class ServiceLoggingTests
{
    private static async Task<(bool Service, bool AspNet, bool Cache)> InformationEnabledAsync(LogLevel level)
    {
        var log = new MemoryEventLog();
        var options = new ServerOptions { Urls = "http://127.0.0.1:0", ApiKey = TestServer.ApiKey, EventsKey = TestServer.EventsKey };
        var app = await SearchRecServer.BuildAsync(options, new FakeLoader(log, null), log, level);
        await using var _ = app;
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        bool On(string category, LogLevel at) => loggers.CreateLogger(category).IsEnabled(at);
        return (On("SearchRec.Server", LogLevel.Information),
            On("Microsoft.AspNetCore.Hosting.Diagnostics", level),
            On("ZiggyCreatures.Caching.Fusion.FusionCache", level));
    }

    [Fact]
    public async Task At_information_the_log_has_the_services_own_lines_but_not_the_per_request_lines_of_AspNet_or_the_cache()
    {
        var (service, aspNet, cache) = await InformationEnabledAsync(LogLevel.Information);
        Assert.True(service);
        Assert.False(aspNet);
        Assert.False(cache);
    }

    [Fact]
    public async Task At_debug_the_per_request_lines_of_AspNet_and_the_cache_are_logged()
    {
        var (_, aspNet, cache) = await InformationEnabledAsync(LogLevel.Debug);
        Assert.True(aspNet);
        Assert.True(cache);
    }
}
