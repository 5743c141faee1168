using System.Text;
using SearchRec.Core;

namespace SearchRec.Index.Internals;

/// <summary>
/// A product as one byte string, kept in binary doc values beside the stored fields: Lucene.Net reads a stored
/// document in about 33 µs (it decompresses the document's block each time, and slower still from two threads at
/// once), a doc value in about 0.25 µs; a whole product look-up goes from 36 to 2.6 µs (ProductReadBenchmarks). Layout: version byte, id, title, brand (flag + string), categories (count +
/// strings), attributes (count + name + value count + values), price (flag + double); strings as BinaryWriter writes them.
/// </summary>
internal static class ProductCodec
{
    private const byte Version = 1;

    /// <summary>Lucene's limit for one binary doc value; a longer product is read from its stored fields.</summary>
    public const int MaxLength = 32_766;

    public static void Write(Product p, MemoryStream buffer)
    {
        buffer.SetLength(0);
        using var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true);
        w.Write(Version);
        w.Write(p.Id);
        w.Write(p.Title);
        // As the stored fields keep them, so either way of reading gives the same product.
        var brand = string.IsNullOrWhiteSpace(p.Brand) ? null : p.Brand;
        w.Write(brand is not null);
        if (brand is not null) w.Write(brand);
        w.Write7BitEncodedInt(p.Category.Count);
        foreach (var c in p.Category) w.Write(c);
        var attributes = 0;
        foreach (var (_, values) in p.Attributes) if (values.Count > 0) attributes++;
        w.Write7BitEncodedInt(attributes);
        foreach (var (name, values) in p.Attributes)
        {
            if (values.Count == 0) continue;
            w.Write(name);
            w.Write7BitEncodedInt(values.Count);
            foreach (var v in values) w.Write(v);
        }
        w.Write(p.Price.HasValue);
        if (p.Price is { } price) w.Write(price);
    }

    /// <summary>The product written by <see cref="Write"/>; throws <see cref="InvalidDataException"/> on another version.</summary>
    public static Product Read(byte[] bytes, int offset, int length)
    {
        // Read from the span in place: a BinaryReader over a MemoryStream cost both and the reader's string buffers
        // for every product a search reads from the index. The same values: strings are UTF-8 with a 7-bit-encoded
        // byte length, as BinaryWriter writes them.
        var r = new SpanReader(bytes.AsSpan(offset, length));
        var version = r.ReadByte();
        if (version != Version) throw new InvalidDataException($"product doc value version {version}, expected {Version}.");
        var id = r.ReadString();
        var title = r.ReadString();
        var brand = r.ReadBoolean() ? r.ReadString() : null;
        var categories = new string[r.Read7BitEncodedInt()];
        for (var i = 0; i < categories.Length; i++) categories[i] = r.ReadString();
        var count = r.Read7BitEncodedInt();
        var attributes = new Dictionary<string, IReadOnlyList<string>>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = r.ReadString();
            var values = new string[r.Read7BitEncodedInt()];
            for (var j = 0; j < values.Length; j++) values[j] = r.ReadString();
            attributes[name] = values;
        }
        double? price = r.ReadBoolean() ? r.ReadDouble() : null;
        return new Product(id, title, brand, categories, attributes, price);
    }

    /// <summary>Reads what <see cref="BinaryWriter"/> wrote, from a span; throws <see cref="EndOfStreamException"/> past its end, as BinaryReader does.</summary>
    private ref struct SpanReader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _at;

        public byte ReadByte() => _at < _bytes.Length ? _bytes[_at++] : throw End();

        public bool ReadBoolean() => ReadByte() != 0;

        public double ReadDouble() => System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

        public int Read7BitEncodedInt()
        {
            // As BinaryReader.Read7BitEncodedInt: up to five bytes, the fifth holding at most four bits.
            uint result = 0;
            for (var shift = 0; shift < 28; shift += 7)
            {
                var b = ReadByte();
                result |= (b & 0x7Fu) << shift;
                if (b <= 0x7F) return (int)result;
            }
            var last = ReadByte();
            if (last > 0b1111) throw new FormatException("Too many bytes in what should have been a 7-bit encoded integer.");
            return (int)(result | (uint)last << 28);
        }

        public string ReadString()
        {
            var length = Read7BitEncodedInt();
            if (length < 0) throw new IOException($"Invalid string length {length}.");
            return length == 0 ? string.Empty : Encoding.UTF8.GetString(Take(length));
        }

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n > _bytes.Length - _at) throw End();
            var span = _bytes.Slice(_at, n);
            _at += n;
            return span;
        }

        private static EndOfStreamException End() => new("The product doc value ends early.");
    }
}
