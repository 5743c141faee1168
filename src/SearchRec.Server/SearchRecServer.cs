using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using SearchRec.Core;
using SearchRec.Server.Internals;
using ZiggyCreatures.Caching.Fusion;

namespace SearchRec.Server;

/// <summary>Builds the SearchRec HTTP service (see <c>docs/service.md</c>).</summary>
public static class SearchRecServer
{
    // Enough calls of each cache path for .NET to optimise it; well under a second at start.
    internal const int CacheWarmUpRounds = 100;

    /// <summary>
    /// Validates the options, loads the first generation and builds the service; call <c>StartAsync</c> or
    /// <c>RunAsync</c> on the result, then <see cref="Addresses"/> for the bound address.
    /// </summary>
    /// <param name="options">Service settings; copied, so later changes have no effect.</param>
    /// <param name="loader">Loads generations of index and models (at start-up and on reload).</param>
    /// <param name="events">The durable event store.</param>
    /// <param name="logLevel">Lowest level logged to the console. Default warnings.</param>
    /// <param name="cancellationToken">Cancels loading the first generation.</param>
    /// <param name="loadProgress">Receives the first generation's loading steps. Default null: not reported.</param>
    public static async Task<WebApplication> BuildAsync(ServerOptions options, IGenerationLoader loader, IEventLog events,
        LogLevel logLevel = LogLevel.Warning, CancellationToken cancellationToken = default, IProgress<string>? loadProgress = null)
    {
        Guard.NotNull(options);
        Guard.NotNull(loader);
        Guard.NotNull(events);
        var o = options.Clone();
        o.Validate();

        var first = await loader.LoadAsync(new ReloadRequest(false), loadProgress, cancellationToken).ConfigureAwait(false);
        // The second cache level connects lazily and fails quietly; say at start whether it is there.
        if (o.RedisConnectionString is { } redisAddress && loadProgress is not null)
            loadProgress.Report(await DescribeRedisAsync(redisAddress).ConfigureAwait(false));

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = typeof(SearchRecServer).Assembly.GetName().Name,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c => c.SingleLine = true);
        builder.Logging.SetMinimumLevel(logLevel);
        // ASP.NET's own per-request lines (request started / endpoint / finished) only when asked for Debug or below:
        // at Information they cost two console lines per request under load.
        var quiet = logLevel <= LogLevel.Debug ? logLevel : (LogLevel)Math.Max((int)logLevel, (int)LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", quiet);
        // FusionCache logs two lines per cache call at Information (about 30 per search): the same rule.
        builder.Logging.AddFilter("ZiggyCreatures.Caching.Fusion", quiet);
        builder.WebHost.UseUrls(o.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = o.MaxBodyBytes;
            k.Limits.MaxRequestLineSize = o.MaxRequestLineBytes;
            k.Limits.MaxRequestBufferSize = Math.Max(1L << 20, o.MaxRequestLineBytes + (64L << 10));
        });
        builder.Services.ConfigureHttpJsonOptions(j =>
        {
            j.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            j.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            // A feature may be missing (NaN) for a candidate; it is written as "NaN" rather than failing the request.
            j.SerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        });

        // A service on loopback alone answers only requests addressed to loopback: a web page whose host name an
        // attacker re-points at 127.0.0.1 (DNS rebinding) would otherwise be same-origin with the page, read its
        // events key from /page/config and post events, or read answers.
        bool loopbackOnly = ListensOnLoopbackOnly(o.Urls);
        var metrics = new ServerMetrics();
        var state = new ServiceState(first);
        builder.Services.AddSingleton(o);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(loader);
        builder.Services.AddSingleton(events);
        builder.Services.AddSingleton<Reloader>();
        builder.Services.AddSingleton(sp => new ServiceCache(sp.GetRequiredService<IFusionCache>(), metrics, o));
        builder.Services.AddHostedService<RetrainSchedule>();
        builder.Services.AddSingleton(_ => CreateMemoryCache(o));
        builder.Services.AddSingleton<IFusionCache>(sp => CreateCache(o, sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<MemoryCache>()));
        builder.Services.AddOpenApi();
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(ServerMetrics.MeterName, SearchRec.Ranking.Logging.JsonlFeatureLogger.MeterName, SearchRec.Ranking.Interleaving.JsonlInterleavingLog.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());

        var app = builder.Build();
        await app.Services.GetRequiredService<ServiceCache>().WarmUpAsync(CacheWarmUpRounds, cancellationToken).ConfigureAwait(false);
        app.Use(async (ctx, next) =>
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            AddSecurityHeaders(ctx.Response);
            try
            {
                // No Host at all (an HTTP/1.0 probe) is no browser's request: answered.
                if (loopbackOnly && ctx.Request.Host.HasValue && !IsLoopbackHost(ctx.Request.Host.Host))
                {
                    await WriteErrorAsync(ctx, 400, new ApiError(
                        $"this service listens on this machine only and answers requests for localhost, not for '{QueryParams.Clip(ctx.Request.Host.Value ?? "")}'", "Host")).ConfigureAwait(false);
                    return;
                }
                await next(ctx).ConfigureAwait(false);
                // Routing's own 415 (a body type the endpoint's Accepts does not list) has no body; every refusal gets one.
                if (!ctx.Response.HasStarted && ctx.Response.ContentType is null && ctx.Response.ContentLength is null or 0
                    && NoRouteError(ctx) is { } noRoute)
                    await WriteErrorAsync(ctx, ctx.Response.StatusCode, noRoute).ConfigureAwait(false);
            }
            catch (BadParameterException ex)
            {
                await WriteErrorAsync(ctx, 400, new ApiError(ex.Message, ex.Field)).ConfigureAwait(false);
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException ex)
            {
                var error = ex.StatusCode == 413
                    ? new ApiError($"the request body is larger than {o.MaxBodyBytes} bytes; send smaller batches", "body")
                    : new ApiError(ex.Message);
                await WriteErrorAsync(ctx, ex.StatusCode, error).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
            {
                // The client went away; nothing to answer.
            }
            catch (Exception ex)
            {
                app.Logger.LogError(ex, "Unhandled error on {Path}", ctx.Request.Path.Value);
                await WriteErrorAsync(ctx, 500, new ApiError("internal error; see the service log")).ConfigureAwait(false);
            }
            finally
            {
                string endpoint = ctx.GetEndpoint() is RouteEndpoint re ? re.RoutePattern.RawText ?? "?" : "unmatched";
                metrics.Request(endpoint, ctx.Response.StatusCode, System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
        });
        Endpoints.AnswerHeadToo(app.MapOpenApi());
        Endpoints.AnswerHeadToo(app.MapPrometheusScrapingEndpoint("/metrics"));
        Endpoints.Map(app, o);
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            state.Dispose();
            metrics.Dispose();
        });
        return app;
    }

    // Routing's own refusals come without a body; every refusal gets one.
    private static Internals.ApiError? NoRouteError(HttpContext ctx) => ctx.Response.StatusCode switch
    {
        415 => Endpoints.NotJson(ctx.Request.ContentType),
        404 when ctx.GetEndpoint() is null => new($"no endpoint at {QueryParams.Clip(ctx.Request.Path.Value ?? "/")}; the API is listed at /openapi/v1.json", "path"),
        405 => new($"{ctx.Request.Method} is not allowed on {QueryParams.Clip(ctx.Request.Path.Value ?? "/")}"
            + (ctx.Response.Headers.Allow.Count > 0 ? $"; use {string.Join(" or ", ctx.Response.Headers.Allow.ToArray())}" : ""), "method"),
        _ => null,
    };

    /// <summary>
    /// The first of <paramref name="urls"/> (semicolon-separated, as <see cref="ServerOptions.Urls"/>) whose port another
    /// program already listens on, or null. A quick check before the slow load, so a busy port is named at once; the
    /// bind at start still decides.
    /// </summary>
    public static string? AddressInUse(string urls)
    {
        Guard.NotNull(urls);
        foreach (var address in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Port <= 0) continue;
            var host = uri.Host.Trim('[', ']');
            // Kestrel binds a host name other than localhost on every address.
            var ip = System.Net.IPAddress.TryParse(host, out var parsed) ? parsed
                : host == "localhost" ? System.Net.IPAddress.Loopback : System.Net.IPAddress.Any;
            using var socket = new System.Net.Sockets.Socket(ip.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            // As Kestrel binds: a port left in TIME_WAIT by a stopped service is free.
            socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.ReuseAddress, true);
            try { socket.Bind(new System.Net.IPEndPoint(ip, uri.Port)); }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse) { return address; }
            catch (System.Net.Sockets.SocketException) { }   // not this check's to judge (an address this machine lacks): the bind says
        }
        return null;
    }

    /// <summary>True when every address of <paramref name="urls"/> is a loopback one (localhost, 127.x.x.x, [::1]).</summary>
    internal static bool ListensOnLoopbackOnly(string urls)
    {
        foreach (var address in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || !IsLoopbackHost(uri.Host)) return false;
        }
        return true;
    }

    private static bool IsLoopbackHost(string host)
    {
        host = host.Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip);
    }

    /// <summary>The addresses the started service listens on (with the real port when port 0 was asked for).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app)
    {
        Guard.NotNull(app);
        var feature = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>();
        return feature is null ? [.. app.Urls] : [.. feature.Addresses];
    }

    // Entry sizes are estimated bytes (ServiceCache.Bytes), so the limit is one of memory, not of entries.
    internal static MemoryCache CreateMemoryCache(ServerOptions o) =>
        new(new MemoryCacheOptions { SizeLimit = o.CacheMemoryBytes, TrackStatistics = true });

    internal static FusionCache CreateCache(ServerOptions o, ILoggerFactory loggers, MemoryCache? memory = null)
    {
        memory ??= CreateMemoryCache(o);
        var log = loggers.CreateLogger<FusionCache>();
        var cache = new FusionCache(new FusionCacheOptions
        {
            CacheName = "searchrec",
            // Cache keys start with the generation id; L2 entries from another process with the same id are valid.
            CacheKeyPrefix = "searchrec:",
            // A Redis that stops answering is left alone for a while, not waited for on every call; each error's
            // stack trace is a Debug line, and the breaker's changes one Warning line each (below).
            DistributedCacheCircuitBreakerDuration = RedisBreak,
            DistributedCacheErrorsLogLevel = LogLevel.Debug,
            DistributedCacheSyntheticTimeoutsLogLevel = LogLevel.Debug,
            DefaultEntryOptions = new FusionCacheEntryOptions
            {
                // The memory level is bounded in bytes, so every entry needs a size: this one is for FusionCache's own
                // small entries (tag markers); ServiceCache sizes its answers.
                Size = ServiceCache.SmallEntryBytes,
                // The second level is a shortcut, never worth more waiting than recomputing an answer costs.
                DistributedCacheHardTimeout = RedisTimeout,
                AllowBackgroundDistributedCacheOperations = true,
            },
        }, memory, log);
        if (o.RedisConnectionString is { } redis)
        {
            var config = StackExchange.Redis.ConfigurationOptions.Parse(redis);
            config.AbortOnConnectFail = false;
            config.ConnectTimeout = (int)RedisTimeout.TotalMilliseconds;
            config.SyncTimeout = config.AsyncTimeout = (int)RedisTimeout.TotalMilliseconds;
            var l2 = new RedisCache(new RedisCacheOptions { ConfigurationOptions = config });
            cache.SetupDistributedCache(l2, new JsonCacheSerializer());
            cache.Events.Distributed.CircuitBreakerChange += (_, e) =>
            {
                // Closed again means the pause is over, not that Redis answers: the next call finds out.
                if (e.IsClosed) log.LogWarning("redis {Redis}: trying the second cache level again", redis);
                else log.LogWarning("redis {Redis} does not answer: answers are cached in memory only, trying it again in {Seconds} s", redis, RedisBreak.TotalSeconds);
            };
        }
        return cache;
    }

    // How long a Redis call may take, and how long a failing Redis is left alone.
    internal static readonly TimeSpan RedisTimeout = TimeSpan.FromMilliseconds(500);
    internal static readonly TimeSpan RedisBreak = TimeSpan.FromSeconds(10);

    /// <summary>One line on whether the Redis at <paramref name="connection"/> answers (two seconds at most).</summary>
    internal static async Task<string> DescribeRedisAsync(string connection)
    {
        try
        {
            var config = StackExchange.Redis.ConfigurationOptions.Parse(connection);
            config.AbortOnConnectFail = false;
            config.ConnectTimeout = 2_000;
            config.ConnectRetry = 1;
            using var mux = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
            if (mux.IsConnected) return $"redis {connection}: connected, the second cache level";
        }
        catch (Exception e) when (e is ArgumentException or StackExchange.Redis.RedisException)
        {
            return $"redis {connection}: {e.Message}; answers are cached in this process's memory only";
        }
        return $"redis {connection}: not reachable; answers are cached in this process's memory only until it answers";
    }

    // The page loads only its own files and is never framed (it holds the events key); no answer is sniffed as
    // another type than it says (a JSON body echoing '<script>' stays JSON); links do not leak the query to other sites.
    internal const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static void AddSecurityHeaders(HttpResponse response)
    {
        var h = response.Headers;
        h.XContentTypeOptions = "nosniff";
        h.ContentSecurityPolicy = ContentSecurityPolicy;
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "no-referrer";
    }

    private static async Task WriteErrorAsync(HttpContext ctx, int status, ApiError error)
    {
        if (ctx.Response.HasStarted) return;
        // A 405 must say which methods the path takes (RFC 9110, 15.5.6): routing set Allow, and Clear would drop it.
        var allow = status == 405 ? ctx.Response.Headers.Allow : default;
        ctx.Response.Clear();   // clears the headers too
        AddSecurityHeaders(ctx.Response);
        if (allow.Count > 0) ctx.Response.Headers.Allow = allow;
        ctx.Response.StatusCode = status;
        await ctx.Response.WriteAsJsonAsync(error, JsonOptions).ConfigureAwait(false);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
