using System.Buffers.Binary;
using System.IO.Compression;

namespace SearchRec.Text.Internals;

/// <summary>
/// The embedded jieba dictionary and HMM tables (Resources/jieba.bin.gz, made by tools/dict/convert_jieba.py;
/// format documented there). Parsed once per process; segmenters build their lookup tables from it.
/// </summary>
internal sealed class JiebaData
{
    internal const string ResourceName = "SearchRec.Text.Resources.jieba.bin.gz";
    internal const double MinLogProb = -3.14e100;

    private static readonly Lazy<JiebaData> s_embedded = new(LoadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    private JiebaData(string[] words, long[] freqs, double[] start, double[] trans, double[][] emit)
    {
        Words = words;
        Freqs = freqs;
        StartLogProb = start;
        TransLogProb = trans;
        EmitLogProb = emit;
    }

    public string[] Words { get; }
    public long[] Freqs { get; }

    /// <summary>Start log-probabilities, states B M E S.</summary>
    public double[] StartLogProb { get; }

    /// <summary>Transition log-probabilities, [from * 4 + to].</summary>
    public double[] TransLogProb { get; }

    /// <summary>Emission log-probabilities per state, indexed by UTF-16 unit (65536 entries each).</summary>
    public double[][] EmitLogProb { get; }

    public static JiebaData Embedded => s_embedded.Value;

    private static JiebaData LoadEmbedded()
    {
        using var stream = typeof(JiebaData).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from {typeof(JiebaData).Assembly.GetName().Name}.");
        return Parse(stream);
    }

    internal static JiebaData Parse(Stream gzipStream)
    {
        byte[] raw;
        using (var gz = new GZipStream(gzipStream, CompressionMode.Decompress))
        using (var ms = new MemoryStream(4 << 20))
        {
            gz.CopyTo(ms);
            raw = ms.ToArray();
        }
        var r = new Reader(raw);
        if (raw.Length < 5 || raw[0] != (byte)'S' || raw[1] != (byte)'R' || raw[2] != (byte)'J' || raw[3] != (byte)'B' || raw[4] != 1)
            throw new InvalidDataException("The jieba resource does not start with SRJB version 1.");
        r.Pos = 5;
        int count = checked((int)r.VarInt());
        var words = new string[count];
        var freqs = new long[count];
        Span<char> prev = stackalloc char[256];
        int prevLen = 0;
        char[] scratch = new char[256];
        for (int i = 0; i < count; i++)
        {
            int shared = (int)r.VarInt();
            int suffix = (int)r.VarInt();
            int len = shared + suffix;
            if (shared > prevLen || len > scratch.Length) throw new InvalidDataException($"The jieba resource is corrupt at word {i}.");
            prev[..shared].CopyTo(scratch);
            for (int k = 0; k < suffix; k++) scratch[shared + k] = (char)r.UInt16();
            words[i] = new string(scratch, 0, len);
            scratch.AsSpan(0, len).CopyTo(prev);
            prevLen = len;
            freqs[i] = r.VarInt();
        }
        var start = new double[4];
        for (int s = 0; s < 4; s++) start[s] = r.Double();
        var trans = new double[16];
        for (int s = 0; s < 16; s++) trans[s] = r.Double();
        var emit = new double[4][];
        for (int s = 0; s < 4; s++)
        {
            var table = new double[65536];
            Array.Fill(table, MinLogProb);
            int n = (int)r.VarInt();
            int code = 0;
            for (int k = 0; k < n; k++)
            {
                code += (int)r.VarInt();
                table[code] = r.Single();
            }
            emit[s] = table;
        }
        return new JiebaData(words, freqs, start, trans, emit);
    }

    private sealed class Reader(byte[] data)
    {
        public int Pos;

        public long VarInt()
        {
            long result = 0;
            int shift = 0;
            while (true)
            {
                byte b = data[Pos++];
                result |= (long)(b & 0x7F) << shift;
                if (b < 0x80) return result;
                shift += 7;
                if (shift > 63) throw new InvalidDataException("The jieba resource has a bad varint.");
            }
        }

        public ushort UInt16()
        {
            ushort v = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(Pos));
            Pos += 2;
            return v;
        }

        public double Double()
        {
            double v = BinaryPrimitives.ReadDoubleLittleEndian(data.AsSpan(Pos));
            Pos += 8;
            return v;
        }

        public float Single()
        {
            float v = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(Pos));
            Pos += 4;
            return v;
        }
    }
}
