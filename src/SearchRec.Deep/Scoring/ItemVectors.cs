using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;

namespace SearchRec.Deep.Scoring;

/// <summary>
/// Unit item vectors in one contiguous array, with their ids. File pair: <c>NAME.bin</c> (magic <c>SRIV</c>,
/// int32 version 1, int32 count, int32 dim, then count·dim little-endian float32) and <c>NAME.tsv</c>
/// (<c>id&lt;TAB&gt;text</c> per row, same order; the text lets a user's own tower recompute the vectors).
/// An optional per-row <see cref="Penalty"/> (the CSLS hubness correction) is subtracted from every score.
/// </summary>
internal sealed class ItemVectors
{
    private const int Magic = 0x56495253; // "SRIV"

    public ItemVectors(string[] ids, string[] texts, float[] data, int dim)
    {
        if (data.Length != (long)ids.Length * dim) throw new ArgumentException("item vector data does not match count × dim");
        Ids = ids; Texts = texts; Data = data; Dim = dim;
        Index = new Dictionary<string, int>(ids.Length, StringComparer.Ordinal);
        for (var i = 0; i < ids.Length; i++) Index.TryAdd(ids[i], i);
    }

    private ItemVectors(ItemVectors source, float[]? penalty)
    {
        Ids = source.Ids; Texts = source.Texts; Data = source.Data; Dim = source.Dim; Index = source.Index; Penalty = penalty;
    }

    /// <summary>The same vectors with <paramref name="penalty"/> (one per row, or null for none) subtracted from each score.</summary>
    public ItemVectors WithPenalty(float[]? penalty)
    {
        if (penalty is not null && penalty.Length != Count) throw new ArgumentException($"penalty has {penalty.Length} values for {Count} items.", nameof(penalty));
        return new ItemVectors(this, penalty);
    }

    public string[] Ids { get; }
    public string[] Texts { get; }
    public float[] Data { get; }
    public int Dim { get; }
    public int Count => Ids.Length;
    public Dictionary<string, int> Index { get; }
    /// <summary>Per-row amount subtracted from the inner product (factor · r(item)); null when there is none.</summary>
    public float[]? Penalty { get; }

    public ReadOnlySpan<float> Row(int i) => Data.AsSpan(i * Dim, Dim);

    public void Write(string binPath, string tsvPath)
    {
        using (var fs = File.Create(binPath))
        using (var bw = new BinaryWriter(fs))
        {
            bw.Write(Magic); bw.Write(1); bw.Write(Count); bw.Write(Dim);
            bw.Flush();
            fs.Write(MemoryMarshal.AsBytes(Data.AsSpan()));
        }
        using var tw = new StreamWriter(tsvPath, false, new UTF8Encoding(false));
        for (var i = 0; i < Count; i++)
        {
            tw.Write(Ids[i]); tw.Write('\t');
            tw.Write(Texts[i].Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' '));
            tw.Write('\n');
        }
    }

    public static ItemVectors Read(string binPath, string tsvPath)
    {
        if (!File.Exists(binPath)) throw new FileNotFoundException($"item vectors '{binPath}' do not exist.", binPath);
        if (!File.Exists(tsvPath)) throw new FileNotFoundException($"item ids '{tsvPath}' do not exist.", tsvPath);
        float[] data;
        int count, dim;
        using (var fs = File.OpenRead(binPath))
        using (var br = new BinaryReader(fs))
        {
            if (fs.Length < 16 || br.ReadInt32() != Magic) throw new InvalidDataException($"'{binPath}' is not a SearchRec item-vector file (bad magic).");
            var version = br.ReadInt32();
            if (version != 1) throw new InvalidDataException($"'{binPath}': item-vector format version {version} is not supported (expected 1).");
            count = br.ReadInt32(); dim = br.ReadInt32();
            if (count < 0 || dim < 1 || fs.Length != 16 + (long)count * dim * 4)
                throw new InvalidDataException($"'{binPath}': header says {count} × {dim} floats but the file has {fs.Length - 16} data bytes.");
            data = new float[(long)count * dim];
            fs.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        }
        var ids = new string[count];
        var texts = new string[count];
        var row = 0;
        var lineNo = 0;
        foreach (var line in File.ReadLines(tsvPath))
        {
            lineNo++;
            if (row >= count) throw new InvalidDataException($"'{tsvPath}' line {lineNo}: more ids than the {count} vectors.");
            var tab = line.IndexOf('\t');
            ids[row] = tab < 0 ? line : line[..tab];
            texts[row] = tab < 0 ? "" : line[(tab + 1)..];
            if (ids[row].Length == 0) throw new InvalidDataException($"'{tsvPath}' line {lineNo}: empty id.");
            row++;
        }
        if (row != count) throw new InvalidDataException($"'{tsvPath}' has {row} ids but '{binPath}' has {count} vectors.");
        return new ItemVectors(ids, texts, data, dim);
    }

    /// <summary>
    /// These vectors with rows replaced or added: row i of <paramref name="data"/> is the vector of
    /// <paramref name="ids"/>[i], whose stored text becomes <paramref name="texts"/>[i]. An added row has no penalty.
    /// </summary>
    public ItemVectors With(IReadOnlyList<string> ids, IReadOnlyList<string> texts, ReadOnlySpan<float> data)
    {
        var added = 0;
        for (var i = 0; i < ids.Count; i++) if (!Index.ContainsKey(ids[i])) added++;
        var allIds = new string[Count + added];
        var allTexts = new string[Count + added];
        var all = new float[(long)(Count + added) * Dim];
        Ids.CopyTo(allIds, 0);
        Texts.CopyTo(allTexts, 0);
        Data.CopyTo(all, 0);
        var next = Count;
        for (var i = 0; i < ids.Count; i++)
        {
            var row = Index.TryGetValue(ids[i], out var r) ? r : next++;
            allIds[row] = ids[i];
            allTexts[row] = texts[i];
            data.Slice(i * Dim, Dim).CopyTo(all.AsSpan(row * Dim, Dim));
        }
        var result = new ItemVectors(allIds, allTexts, all, Dim);
        if (Penalty is null) return result;
        var penalty = new float[allIds.Length];
        Penalty.CopyTo(penalty, 0);
        return result.WithPenalty(penalty);
    }

    /// <summary>A title as the text file stores it (tabs and line breaks become spaces), trimmed.</summary>
    public static string StoredText(string title) => title.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ').Trim();

    /// <summary>
    /// Inner product of the query with each candidate's vector, less the item's <see cref="Penalty"/>; 0 for an id
    /// without a vector (checked spans).
    /// </summary>
    public void Score(ReadOnlySpan<float> queryVector, IReadOnlyList<string> productIds, Span<float> scores)
    {
        SearchRec.Core.Guard.NotNull(productIds);
        CheckQuery(queryVector);
        if (scores.Length < productIds.Count) throw new ArgumentException($"scores has length {scores.Length}; need {productIds.Count}.", nameof(scores));
        var penalty = Penalty;
        for (var i = 0; i < productIds.Count; i++)
            scores[i] = Index.TryGetValue(productIds[i], out var row)
                ? TensorPrimitives.Dot(Row(row), queryVector) - (penalty is null ? 0f : penalty[row])
                : 0f;
    }

    /// <summary>Encodes the query with <paramref name="scorer"/> and scores the candidates.</summary>
    public float[] Score(IDenseScorer scorer, string query, IReadOnlyList<string> productIds)
    {
        SearchRec.Core.Guard.NotNull(productIds);
        Span<float> q = stackalloc float[Dim];
        scorer.EncodeQuery(query, q);
        var scores = new float[productIds.Count];
        Score(q, productIds, scores);
        return scores;
    }

    /// <summary>Encodes the query with <paramref name="scorer"/> and returns its k nearest items.</summary>
    public IReadOnlyList<(string ProductId, float Score)> Nearest(IDenseScorer scorer, string query, int k)
    {
        SearchRec.Core.Guard.Positive(k);
        Span<float> q = stackalloc float[Dim];
        scorer.EncodeQuery(query, q);
        return Nearest(q, k);
    }

    /// <summary><see cref="Nearest(ReadOnlySpan{float}, int)"/> with the query length and k checked.</summary>
    public IReadOnlyList<(string ProductId, float Score)> NearestChecked(ReadOnlySpan<float> queryVector, int k)
    {
        SearchRec.Core.Guard.Positive(k);
        CheckQuery(queryVector);
        return Nearest(queryVector, k);
    }

    private void CheckQuery(ReadOnlySpan<float> queryVector)
    {
        if (queryVector.Length != Dim) throw new ArgumentException($"queryVector has length {queryVector.Length}; need {Dim}.", nameof(queryVector));
    }

    /// <summary>
    /// Scores every item against <paramref name="query"/> (less its <see cref="Penalty"/>) and keeps the best
    /// <paramref name="k"/> (exact search).
    /// </summary>
    public List<(string ProductId, float Score)> Nearest(ReadOnlySpan<float> query, int k)
    {
        k = Math.Min(k, Count);
        var result = new List<(string, float)>(k);
        if (k <= 0) return result;
        // Min-heap of the best k so far; one pass, no per-item allocation.
        var heapScore = new float[k];
        var heapIdx = new int[k];
        var size = 0;
        var penalty = Penalty;
        for (var i = 0; i < Count; i++)
        {
            var s = TensorPrimitives.Dot(Data.AsSpan(i * Dim, Dim), query);
            if (penalty is not null) s -= penalty[i];
            if (size < k) { heapScore[size] = s; heapIdx[size] = i; SiftUp(heapScore, heapIdx, size++); }
            else if (s > heapScore[0]) { heapScore[0] = s; heapIdx[0] = i; SiftDown(heapScore, heapIdx, size); }
        }
        var order = new int[size];
        for (var i = 0; i < size; i++) order[i] = i;
        Array.Sort(order, (a, b) => heapScore[b] != heapScore[a] ? heapScore[b].CompareTo(heapScore[a]) : heapIdx[a].CompareTo(heapIdx[b]));
        foreach (var o in order) result.Add((Ids[heapIdx[o]], heapScore[o]));
        return result;
    }

    private static bool Less(float[] s, int[] idx, int a, int b) => s[a] < s[b] || (s[a] == s[b] && idx[a] > idx[b]);

    private static void SiftUp(float[] s, int[] idx, int i)
    {
        while (i > 0)
        {
            var p = (i - 1) / 2;
            if (!Less(s, idx, i, p)) break;
            (s[i], s[p]) = (s[p], s[i]); (idx[i], idx[p]) = (idx[p], idx[i]);
            i = p;
        }
    }

    private static void SiftDown(float[] s, int[] idx, int n)
    {
        var i = 0;
        while (true)
        {
            var l = 2 * i + 1; var r = l + 1; var m = i;
            if (l < n && Less(s, idx, l, m)) m = l;
            if (r < n && Less(s, idx, r, m)) m = r;
            if (m == i) break;
            (s[i], s[m]) = (s[m], s[i]); (idx[i], idx[m]) = (idx[m], idx[i]);
            i = m;
        }
    }
}
