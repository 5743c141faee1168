using Microsoft.Extensions.Options;

namespace SearchRec.Server;

/// <summary>
/// Settings of the HTTP service. Bind from configuration section <c>SearchRec:Server</c> or set in code; checked by
/// <see cref="Validate"/> at start-up, which names the bad setting.
/// </summary>
public sealed class ServerOptions : IOptions<ServerOptions>
{
    /// <summary>Addresses to listen on, ASP.NET style (<c>;</c>-separated). Default <c>http://127.0.0.1:5080</c>; port 0 picks a free port.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:5080";

    /// <summary>The key that <c>POST /events</c> and <c>/admin/*</c> require in the <c>X-Api-Key</c> header. Required, at least 16 characters.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>
    /// A second key that may only post events, handed to the web page so a browser can send clicks and purchases.
    /// Default null: the page shows results but sends no events.
    /// </summary>
    public string? EventsKey { get; set; }

    /// <summary>Longest accepted <c>q</c>, in characters. Default 200.</summary>
    public int MaxQueryLength { get; set; } = 200;

    /// <summary>Largest accepted <c>k</c>. Default 100.</summary>
    public int MaxK { get; set; } = 100;

    /// <summary>Default <c>k</c> when the request has none. Default 10.</summary>
    public int DefaultK { get; set; } = 10;

    /// <summary>Most events in one <c>POST /events</c>. Default 1000.</summary>
    public int MaxEventsPerRequest { get; set; } = 1000;

    /// <summary>Most products (upserted and deleted together) in one <c>POST /admin/products</c>. Default 1000.</summary>
    public int MaxProductsPerRequest { get; set; } = 1000;

    /// <summary>Largest request body in bytes. Default 1 MiB.</summary>
    public long MaxBodyBytes { get; set; } = 1 << 20;

    /// <summary>
    /// Largest request line (path and query string) in bytes. Default 2 MiB, so that an over-long <c>q</c> reaches the
    /// service and gets a 400 naming <c>q</c> rather than the server's bare 414.
    /// </summary>
    public int MaxRequestLineBytes { get; set; } = 2 << 20;

    /// <summary>How long recall results, item records and similar-items lists stay fresh. Default 5 minutes.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a stale entry may still be served when recomputing it fails (fail-safe). Default 1 hour.</summary>
    public TimeSpan CacheFailSafeMaxDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The most memory the cache's entries may hold, in estimated bytes (recall lists, item records, similar-items
    /// lists); the least recently used go first beyond it. Default 256 MiB. Without a bound in bytes, a shop's long tail
    /// of distinct queries kept a recall list of about 20 KB each for the fail-safe hour.
    /// </summary>
    public long CacheMemoryBytes { get; set; } = 256L << 20;

    /// <summary>Redis connection string for the optional second cache level (e.g. <c>127.0.0.1:6379</c>). Default null: memory only.</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>
    /// After a reload, once the old generation is disposed, run one blocking, compacting garbage collection that hands
    /// its memory back to the system. Default true: without it a
    /// 1M-product service kept each retired generation's arrays committed, 200-400 MB a reload.
    /// </summary>
    public bool CompactAfterReload { get; set; } = true;

    /// <summary>Retrain the collaborative models from the event store this often in the background. Default null: only on demand.</summary>
    public TimeSpan? RetrainInterval { get; set; }

    /// <summary>Serve the web page at <c>/</c>. Default true.</summary>
    public bool ServePage { get; set; } = true;

    ServerOptions IOptions<ServerOptions>.Value => this;

    /// <summary>Throws <see cref="OptionsValidationException"/> naming every bad setting.</summary>
    public void Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Urls)) errors.Add("Urls must name at least one address, e.g. http://127.0.0.1:5080.");
        else
        {
            foreach (var url in Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                    errors.Add($"Urls: '{url}' is not an http(s) address such as http://127.0.0.1:5080.");
            }
        }
        if (string.IsNullOrEmpty(ApiKey) || ApiKey.Length < 16) errors.Add("ApiKey must be set and at least 16 characters long.");
        if (EventsKey is not null && EventsKey.Length < 16) errors.Add("EventsKey, when set, must be at least 16 characters long.");
        if (EventsKey is not null && EventsKey == ApiKey) errors.Add("EventsKey must differ from ApiKey (the page shows it to browsers).");
        if (MaxQueryLength is < 1 or > 100_000) errors.Add($"MaxQueryLength must be in [1, 100000] (is {MaxQueryLength}).");
        if (MaxK is < 1 or > 10_000) errors.Add($"MaxK must be in [1, 10000] (is {MaxK}).");
        if (DefaultK < 1 || DefaultK > MaxK) errors.Add($"DefaultK must be in [1, MaxK={MaxK}] (is {DefaultK}).");
        if (MaxEventsPerRequest is < 1 or > 1_000_000) errors.Add($"MaxEventsPerRequest must be in [1, 1000000] (is {MaxEventsPerRequest}).");
        if (MaxProductsPerRequest is < 1 or > 1_000_000) errors.Add($"MaxProductsPerRequest must be in [1, 1000000] (is {MaxProductsPerRequest}).");
        if (MaxBodyBytes is < 1024 or > 1L << 30) errors.Add($"MaxBodyBytes must be in [1024, 1 GiB] (is {MaxBodyBytes}).");
        if (MaxRequestLineBytes is < 1024 or > 64 << 20) errors.Add($"MaxRequestLineBytes must be in [1024, 64 MiB] (is {MaxRequestLineBytes}).");
        if (CacheDuration <= TimeSpan.Zero) errors.Add($"CacheDuration must be positive (is {CacheDuration}).");
        if (CacheMemoryBytes is < 1L << 20 or > 64L << 30) errors.Add($"CacheMemoryBytes must be in [1 MiB, 64 GiB] (is {CacheMemoryBytes}).");
        if (CacheFailSafeMaxDuration < CacheDuration) errors.Add($"CacheFailSafeMaxDuration must be at least CacheDuration (is {CacheFailSafeMaxDuration}).");
        if (RedisConnectionString is not null && string.IsNullOrWhiteSpace(RedisConnectionString))
            errors.Add("RedisConnectionString, when set, must not be blank (e.g. 127.0.0.1:6379).");
        if (RetrainInterval is { } r && r < TimeSpan.FromSeconds(1)) errors.Add($"RetrainInterval, when set, must be at least 1 second (is {r}).");
        if (errors.Count > 0) throw new OptionsValidationException(nameof(ServerOptions), typeof(ServerOptions), errors);
    }

    /// <summary>A copy, so the running service cannot be changed from outside.</summary>
    internal ServerOptions Clone() => (ServerOptions)MemberwiseClone();
}
