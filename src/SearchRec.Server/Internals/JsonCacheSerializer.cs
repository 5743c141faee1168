using System.Text.Json;
using ZiggyCreatures.Caching.Fusion.Serialization;

namespace SearchRec.Server.Internals;

/// <summary>System.Text.Json for FusionCache's distributed level (the registry has no FusionCache serializer package).</summary>
internal sealed class JsonCacheSerializer : IFusionCacheSerializer
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public byte[] Serialize<T>(T? obj) => JsonSerializer.SerializeToUtf8Bytes(obj, Options);

    public T? Deserialize<T>(byte[] data) => JsonSerializer.Deserialize<T>(data, Options);

    public ValueTask<byte[]> SerializeAsync<T>(T? obj, CancellationToken token = default) => new(Serialize(obj));

    public ValueTask<T?> DeserializeAsync<T>(byte[] data, CancellationToken token = default) => new(Deserialize<T>(data));
}
