using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SearchRec.Core;
using SearchRec.Text;

namespace SearchRec.Deep.Scoring;

/// <summary>
/// The CSLS hubness correction of a text tower (Conneau et al. 2018): for each item, r(item) = the mean of its
/// <see cref="HubnessOptions.K"/> highest cosines over a set of query vectors; the corrected score is
/// cos(q, item) − factor · r(item). <see cref="Compute"/> stores r beside the tower as <see cref="FileName"/>
/// (with <see cref="InfoFileName"/> for people); <see cref="DeepScorer.Open(string, DeepScorerOptions?, ITokenizer?)"/> applies it whenever the file is there.
/// </summary>
public static class HubnessCorrection
{
    /// <summary>The penalty file in a models folder: header (magic <c>SRHB</c>, version, items, k, queries, factor, ids and vectors SHA-256) then float32 r per item.</summary>
    public const string FileName = "hubness.bin";

    /// <summary>A JSON summary of the same run (queries file, timings, r's range); informative, the header is what is checked.</summary>
    public const string InfoFileName = "hubness.json";

    private const int Magic = 0x42485253; // "SRHB"
    private const int Version = 1;
    private const int HeaderBytes = 6 * 4 + 2 * 32;
    private const int ItemBlock = 64;
    private const int QueryChunk = 1024;

    /// <summary>
    /// The first <paramref name="count"/> distinct texts of <paramref name="texts"/> in order, skipping any text equal
    /// (ordinal, after trimming) to one of <paramref name="exclude"/>. <paramref name="dropped"/> counts the distinct
    /// texts skipped for being excluded before the count was reached.
    /// </summary>
    public static IReadOnlyList<string> SelectQueries(IEnumerable<string> texts, int count, IEnumerable<string>? exclude, out int dropped)
    {
        Guard.NotNull(texts);
        Guard.Positive(count);
        var excluded = new HashSet<string>(QueryTextComparer.Instance);
        if (exclude is not null) foreach (var e in exclude) excluded.Add(e.Trim());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(Math.Min(count, 1 << 16));
        dropped = 0;
        foreach (var raw in texts)
        {
            if (result.Count >= count) break;
            var t = raw.Trim();
            if (t.Length == 0 || !seen.Add(t)) continue;
            if (excluded.Contains(t)) { dropped++; continue; }
            result.Add(t);
        }
        return result;
    }

    /// <summary>
    /// Encodes <paramref name="queries"/> with the text tower of <paramref name="modelsDir"/>, computes r for every
    /// item from the tower's uncorrected cosines, and writes <see cref="FileName"/> and <see cref="InfoFileName"/> there
    /// (replacing an earlier correction). <paramref name="progress"/> gets a line every few seconds.
    /// </summary>
    public static HubnessSummary Compute(string modelsDir, IReadOnlyList<string> queries, HubnessOptions? options = null,
        Action<string>? progress = null, ITokenizer? tokenizer = null, IReadOnlyDictionary<string, string>? provenance = null)
    {
        Guard.NotNull(modelsDir);
        Guard.NotNull(queries);
        options ??= new HubnessOptions();
        options.Validate();
        if (DenseModels.IsEnsemble(modelsDir))
            throw new ArgumentException($"'{modelsDir}' is an ensemble ({DenseModels.EnsembleFile}); compute the correction for each member folder instead.", nameof(modelsDir));
        if (queries.Count < options.K)
            throw new ArgumentException($"{queries.Count:N0} queries are fewer than k = {options.K}; r(item) is the mean of the k highest cosines over the queries.", nameof(queries));
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var sw = Stopwatch.StartNew();
        using var scorer = DeepScorer.Open(modelsDir, new DeepScorerOptions { Log = progress ?? (static _ => { }) }, tokenizer, applyHubness: false);
        var dim = scorer.Dimension;
        var q = new float[(long)queries.Count * dim];
        scorer.EncodeMany(queries, q, threads, progress);
        var encodeSeconds = sw.Elapsed.TotalSeconds;
        var items = scorer.Items;
        var r = TopKMeans(items.Data, items.Count, q, queries.Count, dim, options.K, threads, progress);
        var seconds = sw.Elapsed.TotalSeconds;
        var summary = new HubnessSummary(options.K, queries.Count, options.Factor, items.Count, Stats(r), Math.Round(encodeSeconds, 2), Math.Round(seconds, 2));
        Write(Path.Combine(modelsDir, FileName), items, r, options.K, queries.Count, options.Factor);
        WriteInfo(Path.Combine(modelsDir, InfoFileName), summary, provenance);
        return summary;
    }

    /// <summary>Deletes the correction files of <paramref name="modelsDir"/>; false when there were none.</summary>
    public static bool Remove(string modelsDir)
    {
        Guard.NotNull(modelsDir);
        var any = false;
        foreach (var name in new[] { FileName, InfoFileName })
        {
            var path = Path.Combine(modelsDir, name);
            if (!File.Exists(path)) continue;
            File.Delete(path);
            any = true;
        }
        return any;
    }

    /// <summary>
    /// r for each item: the mean of its <paramref name="k"/> highest inner products with the query rows. Items are
    /// taken in blocks (each block's rows stay in cache while every query streams past once), blocks spread over
    /// <paramref name="threads"/>.
    /// </summary>
    internal static float[] TopKMeans(float[] items, int itemCount, float[] queries, int queryCount, int dim, int k, int threads, Action<string>? progress)
    {
        var r = new float[itemCount];
        var blocks = (itemCount + ItemBlock - 1) / ItemBlock;
        var done = 0;
        var report = new ThrottledProgress(progress);
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new float[ItemBlock * k], (b, _, heaps) =>
        {
            var start = b * ItemBlock;
            var n = Math.Min(ItemBlock, itemCount - start);
            var itemSpan = items.AsSpan(start * dim, n * dim);
            // Every heap starts full of −∞, so the first k cosines always enter.
            heaps.AsSpan(0, n * k).Fill(float.NegativeInfinity);
            for (var j = 0; j < queryCount; j++)
            {
                var qv = queries.AsSpan(j * dim, dim);
                for (var i = 0; i < n; i++)
                {
                    var s = TensorPrimitives.Dot(itemSpan.Slice(i * dim, dim), qv);
                    var heap = heaps.AsSpan(i * k, k);
                    if (s > heap[0]) ReplaceMin(heap, s);
                }
            }
            for (var i = 0; i < n; i++)
            {
                double sum = 0;
                foreach (var v in heaps.AsSpan(i * k, k)) sum += v;
                r[start + i] = (float)(sum / k);
            }
            var finished = Interlocked.Add(ref done, n);
            report.Report((finished, k, itemCount, queryCount),
                static (x, t) => $"hubness: top-{x.k} cosines of {x.finished:N0} / {x.itemCount:N0} items over {x.queryCount:N0} queries ({t:F1} s)");
            return heaps;
        }, static _ => { });
        return r;
    }

    // Min-heap of floats: replace the root with a larger value and sift it down.
    private static void ReplaceMin(Span<float> heap, float value)
    {
        var i = 0;
        var n = heap.Length;
        while (true)
        {
            var l = 2 * i + 1;
            if (l >= n) break;
            var m = l + 1 < n && heap[l + 1] < heap[l] ? l + 1 : l;
            if (heap[m] >= value) break;
            heap[i] = heap[m];
            i = m;
        }
        heap[i] = value;
    }

    private static (float Min, float Mean, float Max) Stats(float[] r)
    {
        if (r.Length == 0) return (0, 0, 0);
        double sum = 0;
        foreach (var v in r) sum += v;
        return (TensorPrimitives.Min(r), (float)(sum / r.Length), TensorPrimitives.Max(r));
    }

    internal static void Write(string path, ItemVectors items, float[] r, int k, int queryCount, float factor)
    {
        var bytes = new byte[HeaderBytes + 4L * r.Length];
        var span = bytes.AsSpan();
        BitConverter.TryWriteBytes(span[0..], Magic);
        BitConverter.TryWriteBytes(span[4..], Version);
        BitConverter.TryWriteBytes(span[8..], items.Count);
        BitConverter.TryWriteBytes(span[12..], k);
        BitConverter.TryWriteBytes(span[16..], queryCount);
        BitConverter.TryWriteBytes(span[20..], factor);
        IdsHash(items).CopyTo(span[24..]);
        VectorsHash(items).CopyTo(span[56..]);
        MemoryMarshal.AsBytes(r.AsSpan()).CopyTo(span[HeaderBytes..]);
        var tmp = path + ".tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// Reads the penalty file at <paramref name="path"/> for <paramref name="items"/>: r per row and the settings.
    /// Refuses, naming the file, one of another format, for another item set (ids) or from another tower (vectors).
    /// </summary>
    internal static (float[] R, HubnessInfo Info) Read(string path, ItemVectors items)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderBytes || BitConverter.ToInt32(bytes, 0) != Magic)
            throw new InvalidDataException($"'{path}' is not a SearchRec hubness file (bad header); recompute it with `searchrec hubness` or delete it.");
        var version = BitConverter.ToInt32(bytes, 4);
        if (version != Version) throw new InvalidDataException($"'{path}': hubness format version {version} is not supported (expected {Version}).");
        var count = BitConverter.ToInt32(bytes, 8);
        var k = BitConverter.ToInt32(bytes, 12);
        var queryCount = BitConverter.ToInt32(bytes, 16);
        var factor = BitConverter.ToSingle(bytes, 20);
        if (count < 0 || bytes.Length != HeaderBytes + 4L * count)
            throw new InvalidDataException($"'{path}': header says {count} items but the file has {bytes.Length - HeaderBytes} data bytes.");
        if (k < 1 || queryCount < k || !float.IsFinite(factor) || factor < 0)
            throw new InvalidDataException($"'{path}': bad settings in the header (k {k}, queries {queryCount}, factor {factor}).");
        if (count != items.Count)
            throw new InvalidDataException($"'{path}' holds penalties for {count:N0} items but the tower has {items.Count:N0}: it was computed for another item set; run `searchrec hubness` again or `--remove` it.");
        if (!bytes.AsSpan(24, 32).SequenceEqual(IdsHash(items)))
            throw new InvalidDataException($"'{path}' was computed for another item set (the item ids differ); run `searchrec hubness` again or `--remove` it.");
        if (!bytes.AsSpan(56, 32).SequenceEqual(VectorsHash(items)))
            throw new InvalidDataException($"'{path}' was computed with another tower (the item vectors differ, e.g. retrained or a custom TextTowerPath); run `searchrec hubness` again or `--remove` it.");
        var r = new float[count];
        MemoryMarshal.Cast<byte, float>(bytes.AsSpan(HeaderBytes)).CopyTo(r);
        foreach (var v in r)
            if (!float.IsFinite(v)) throw new InvalidDataException($"'{path}' holds a non-finite penalty.");
        return (r, new HubnessInfo(k, queryCount, factor, count));
    }

    private static byte[] IdsHash(ItemVectors items)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1024];
        foreach (var id in items.Ids)
        {
            var need = Encoding.UTF8.GetMaxByteCount(id.Length) + 1;
            if (need > buffer.Length) buffer = new byte[need];
            var n = Encoding.UTF8.GetBytes(id, buffer);
            buffer[n] = (byte)'\n';
            h.AppendData(buffer, 0, n + 1);
        }
        return h.GetHashAndReset();
    }

    private static byte[] VectorsHash(ItemVectors items) => SHA256.HashData(MemoryMarshal.AsBytes(items.Data.AsSpan()));

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private static void WriteInfo(string path, HubnessSummary s, IReadOnlyDictionary<string, string>? provenance)
    {
        var doc = new Dictionary<string, object?>
        {
            ["method"] = "CSLS hubness correction: score = cos(q, item) - factor * r(item), r = mean of the item's k highest cosines over the queries",
            ["k"] = s.K,
            ["queries"] = s.QueryCount,
            ["factor"] = s.Factor,
            ["items"] = s.ItemCount,
            ["rMin"] = s.R.Min,
            ["rMean"] = s.R.Mean,
            ["rMax"] = s.R.Max,
            ["encodeSeconds"] = s.EncodeSeconds,
            ["totalSeconds"] = s.TotalSeconds,
            ["created"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (provenance is not null) foreach (var (key, value) in provenance) doc[key] = value;
        File.WriteAllText(path, JsonSerializer.Serialize(doc, Json));
    }
}

/// <summary>Settings of <see cref="HubnessCorrection.Compute"/>.</summary>
public sealed class HubnessOptions
{
    /// <summary>How many of an item's highest cosines over the queries are averaged into r(item). Default 10.</summary>
    public int K { get; set; } = 10;

    /// <summary>The weight of r(item) subtracted from the cosine at scoring. Default 0.5 (CSLS halved).</summary>
    public float Factor { get; set; } = 0.5f;

    /// <summary>Threads for encoding the queries and for the top-k pass; 0 (the default) uses every core.</summary>
    public int Threads { get; set; }

    /// <summary>Throws naming the first bad field.</summary>
    public void Validate()
    {
        if (K < 1) throw new ArgumentOutOfRangeException(nameof(K), K, "HubnessOptions.K must be at least 1.");
        if (!float.IsFinite(Factor) || Factor < 0) throw new ArgumentOutOfRangeException(nameof(Factor), Factor, "HubnessOptions.Factor must be a finite number ≥ 0.");
        if (Threads < 0) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "HubnessOptions.Threads must be ≥ 0 (0 = every core).");
    }
}

/// <summary>The settings a tower's hubness correction was computed with (read from <see cref="HubnessCorrection.FileName"/>).</summary>
/// <param name="K">Highest cosines averaged per item.</param>
/// <param name="QueryCount">Query vectors used.</param>
/// <param name="Factor">Weight of r(item) subtracted from the cosine.</param>
/// <param name="ItemCount">Items with a penalty.</param>
public sealed record HubnessInfo(int K, int QueryCount, float Factor, int ItemCount)
{
    /// <summary>A short description, e.g. <c>CSLS hubness correction cos − 0.5·r(item), r = mean of top 10 cosines over 20,000 queries</c>.</summary>
    public override string ToString()
        => $"CSLS hubness correction cos − {Factor.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}·r(item), r = mean of top {K} cosines over {QueryCount:N0} queries";
}

/// <summary>What <see cref="HubnessCorrection.Compute"/> did.</summary>
/// <param name="K">Highest cosines averaged per item.</param>
/// <param name="QueryCount">Query vectors used.</param>
/// <param name="Factor">Weight of r(item) subtracted from the cosine.</param>
/// <param name="ItemCount">Items with a penalty.</param>
/// <param name="R">Smallest, mean and largest r(item).</param>
/// <param name="EncodeSeconds">Seconds to open the tower and encode the queries.</param>
/// <param name="TotalSeconds">Seconds in all (encoding and the top-k pass).</param>
public sealed record HubnessSummary(int K, int QueryCount, float Factor, int ItemCount, (float Min, float Mean, float Max) R, double EncodeSeconds, double TotalSeconds);
