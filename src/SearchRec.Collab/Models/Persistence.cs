using System.Text.Json;
using System.Text.Json.Serialization;
using SearchRec.Core;

namespace SearchRec.Collab.Models;

/// <summary>A small description of trained models: data, parameters, timings and metrics (saved as <c>model-card.json</c>).</summary>
public sealed class ModelCard
{
    /// <summary>Where the training events came from (files), as the trainer was told.</summary>
    public List<string> Sources { get; set; } = [];
    /// <summary>Training events.</summary>
    public long Events { get; set; }
    /// <summary>Distinct users.</summary>
    public long Users { get; set; }
    /// <summary>Distinct items.</summary>
    public long Items { get; set; }
    /// <summary>Distinct categories.</summary>
    public long Categories { get; set; }
    /// <summary>Earliest event (Unix seconds).</summary>
    public long FirstTimestamp { get; set; }
    /// <summary>Latest event (Unix seconds); the reference time of popularity decay.</summary>
    public long LastTimestamp { get; set; }
    /// <summary>When training finished.</summary>
    public DateTimeOffset TrainedAtUtc { get; set; }
    /// <summary>The training parameters.</summary>
    public CollabOptions Options { get; set; } = new();
    /// <summary>Wall time of the training steps, in seconds.</summary>
    public Dictionary<string, double> TimingsSeconds { get; set; } = [];
    /// <summary>Offline metrics, when measured (e.g. <c>blend hr@20</c>).</summary>
    public Dictionary<string, double> Metrics { get; set; } = [];
}

public sealed partial class CollabModels
{
    private const string DataFile = "collab.bin";
    private const string CardFile = "model-card.json";
    private const int FormatVersion = 1;
    private static readonly JsonSerializerOptions CardJson = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    /// <summary>Writes the models and their card into <paramref name="dir"/> (created if needed).</summary>
    public void Save(string dir)
    {
        Guard.NotNull(dir);
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, DataFile + ".tmp");
        using (var fs = File.Create(tmp))
        using (var w = new BinaryWriter(fs))
        {
            w.Write("SRCOLLAB");
            w.Write(FormatVersion);
            w.Write(ReferenceTime);
            Write(w, ItemIds);
            Write(w, ItemCat);
            Write(w, CatIds);
            Write(w, Pop);
            Write(w, NbrStart);
            Write(w, NbrItem);
            Write(w, NbrSim);
            w.Write(Factors);
            Write(w, ItemFactors.ToIndexOrder());
            Write(w, Gram);
        }
        File.Move(tmp, Path.Combine(dir, DataFile), overwrite: true);
        File.WriteAllText(Path.Combine(dir, CardFile), JsonSerializer.Serialize(Card, CardJson));
    }

    /// <summary>Whether <paramref name="dir"/> holds models saved by <see cref="Save"/>.</summary>
    public static bool Exists(string dir) => File.Exists(Path.Combine(Guard.NotNull(dir), DataFile));

    private static void ReadData(CollabModels m, string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        if (r.ReadString() != "SRCOLLAB") throw new InvalidDataException($"{path} is not a SearchRec collaborative model file.");
        int v = r.ReadInt32();
        if (v != FormatVersion) throw new InvalidDataException($"{path} has format version {v}; this build reads {FormatVersion}.");
        m.ReferenceTime = r.ReadInt64();
        m.ItemIds = ReadLongs(r);
        m.ItemCat = ReadInts(r);
        m.CatIds = ReadLongs(r);
        m.Pop = ReadFloats(r);
        m.NbrStart = ReadInts(r);
        m.NbrItem = ReadInts(r);
        m.NbrSim = ReadFloats(r);
        m.Factors = r.ReadInt32();
        var factors = ReadFloats(r);
        if (m.Factors < 0 || (m.Factors == 0 ? factors.Length != 0 : factors.Length != (long)m.ItemIds.Length * m.Factors))
            throw new InvalidDataException($"{path}: {factors.Length} item factors for {m.ItemIds.Length} items of {m.Factors}.");
        m.ItemFactors = new ItemFactorTable(factors, m.Factors);
        m.Gram = ReadFloats(r);
    }

    /// <summary>Loads models saved by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The folder holds no models or a different format.</exception>
    public static CollabModels Load(string dir)
    {
        Guard.NotNull(dir);
        var path = Path.Combine(dir, DataFile);
        if (!File.Exists(path)) throw new InvalidDataException($"No collaborative models in '{dir}' (missing {DataFile}); run 'searchrec train-cf' first.");
        var m = new CollabModels();
        try
        {
            ReadData(m, path);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} is truncated or damaged ({e.Message.TrimEnd('.')}); train the models again with 'searchrec train-cf'.", e);
        }

        var cardPath = Path.Combine(dir, CardFile);
        // The card holds the options the models were trained with: a damaged one is a damaged model folder, refused
        // naming the file rather than escaping as a JSON or option error.
        try
        {
            if (File.Exists(cardPath)) m.Card = JsonSerializer.Deserialize<ModelCard>(File.ReadAllText(cardPath), CardJson) ?? new ModelCard();
            if (m.Card.Options is null) throw new InvalidDataException("no Options");
            m.Options = Clone(m.Card.Options).Validate();
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidDataException)
        {
            throw new InvalidDataException($"{cardPath}: not a model card of 'searchrec train-cf' ({e.Message.TrimEnd('.')}); train the models again.", e);
        }
        m.ItemIndex = new Dictionary<long, int>(m.ItemIds.Length);
        for (int i = 0; i < m.ItemIds.Length; i++) m.ItemIndex[m.ItemIds[i]] = i;
        m.CatIndex = new Dictionary<long, int>(m.CatIds.Length);
        for (int c = 0; c < m.CatIds.Length; c++) m.CatIndex[m.CatIds[c]] = c;
        m.FinishPopularity();
        return m;
    }

    private static void Write(BinaryWriter w, long[] a) { w.Write(a.Length); foreach (var x in a) w.Write(x); }
    private static void Write(BinaryWriter w, int[] a) { w.Write(a.Length); w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan())); }
    private static void Write(BinaryWriter w, float[] a) { w.Write(a.Length); w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan())); }

    // An array's length, checked against what is left of the file, so a damaged length reads as a damaged file
    // rather than an overflow or an attempt to allocate gigabytes.
    private static int Count(BinaryReader r, int size)
    {
        var n = r.ReadInt32();
        if (n < 0 || (long)n * size > r.BaseStream.Length - r.BaseStream.Position)
            throw new EndOfStreamException($"an array of {n} values of {size} bytes at byte {r.BaseStream.Position - 4} does not fit in the file");
        return n;
    }

    private static long[] ReadLongs(BinaryReader r)
    {
        var a = new long[Count(r, sizeof(long))];
        for (int i = 0; i < a.Length; i++) a[i] = r.ReadInt64();
        return a;
    }

    private static int[] ReadInts(BinaryReader r)
    {
        var a = new int[Count(r, sizeof(int))];
        r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
        return a;
    }

    private static float[] ReadFloats(BinaryReader r)
    {
        var a = new float[Count(r, sizeof(float))];
        r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
        return a;
    }
}
