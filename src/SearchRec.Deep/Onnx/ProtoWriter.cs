using System.Runtime.InteropServices;
using Google.Protobuf;

namespace SearchRec.Deep.Onnx;

/// <summary>
/// Writes one protobuf message with Google.Protobuf's coded stream. Nested messages are written to their own
/// buffer first, then embedded with their length. Field numbers are those of ONNX's <c>onnx.proto</c>.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _buffer = new();
    private readonly CodedOutputStream _out;

    public ProtoWriter() => _out = new CodedOutputStream(_buffer, leaveOpen: true);

    public ProtoWriter String(int field, string value)
    {
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteString(value);
        return this;
    }

    public ProtoWriter Int64(int field, long value)
    {
        _out.WriteTag(field, WireFormat.WireType.Varint);
        _out.WriteInt64(value);
        return this;
    }

    public ProtoWriter Int32(int field, int value)
    {
        _out.WriteTag(field, WireFormat.WireType.Varint);
        _out.WriteInt32(value);
        return this;
    }

    public ProtoWriter Float(int field, float value)
    {
        _out.WriteTag(field, WireFormat.WireType.Fixed32);
        _out.WriteFloat(value);
        return this;
    }

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteBytes(ByteString.CopyFrom(value));
        return this;
    }

    public ProtoWriter Message(int field, ProtoWriter message)
    {
        var bytes = message.ToArray();
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteBytes(ByteString.CopyFrom(bytes));
        return this;
    }

    public ProtoWriter PackedInt64(int field, ReadOnlySpan<long> values)
    {
        var inner = new ProtoWriter();
        foreach (var v in values) inner._out.WriteInt64(v);
        var bytes = inner.ToArray();
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteBytes(ByteString.CopyFrom(bytes));
        return this;
    }

    public byte[] ToArray()
    {
        _out.Flush();
        return _buffer.ToArray();
    }
}

/// <summary>Builders for the ONNX messages the exporter needs (field numbers from onnx.proto, ONNX 1.12).</summary>
internal static class OnnxProto
{
    public const int ElemFloat = 1;  // TensorProto.DataType.FLOAT
    public const int ElemInt64 = 7;  // TensorProto.DataType.INT64

    /// <summary>A TensorProto with float data stored little-endian in raw_data.</summary>
    public static ProtoWriter FloatTensor(string name, ReadOnlySpan<float> data, params long[] dims) =>
        new ProtoWriter().PackedInt64(1, dims).Int32(2, ElemFloat).String(8, name)
            .Bytes(9, MemoryMarshal.AsBytes(data));

    /// <summary>A TensorProto with int64 data in raw_data.</summary>
    public static ProtoWriter Int64Tensor(string name, ReadOnlySpan<long> data, params long[] dims) =>
        new ProtoWriter().PackedInt64(1, dims).Int32(2, ElemInt64).String(8, name)
            .Bytes(9, MemoryMarshal.AsBytes(data));

    /// <summary>A ValueInfoProto of a tensor; a string dimension is symbolic (dynamic), a long is fixed.</summary>
    public static ProtoWriter ValueInfo(string name, int elemType, params object[] dims)
    {
        var shape = new ProtoWriter();
        foreach (var d in dims)
        {
            var dim = new ProtoWriter();
            if (d is string s) dim.String(2, s); else dim.Int64(1, Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture));
            shape.Message(1, dim);
        }
        var tensorType = new ProtoWriter().Int32(1, elemType).Message(2, shape);
        var type = new ProtoWriter().Message(1, tensorType);
        return new ProtoWriter().String(1, name).Message(2, type);
    }

    /// <summary>A NodeProto; attributes already built with <see cref="IntAttr"/>.</summary>
    public static ProtoWriter Node(string opType, string name, string[] inputs, string[] outputs, params ProtoWriter[] attributes)
    {
        var node = new ProtoWriter();
        foreach (var i in inputs) node.String(1, i);
        foreach (var o in outputs) node.String(2, o);
        node.String(3, name).String(4, opType);
        foreach (var a in attributes) node.Message(5, a);
        return node;
    }

    /// <summary>An INT attribute (AttributeProto.type = 2).</summary>
    public static ProtoWriter IntAttr(string name, long value) => new ProtoWriter().String(1, name).Int64(3, value).Int32(20, 2);

    /// <summary>An INTS attribute (AttributeProto.type = 7), e.g. ReduceMax's axes at opset 13.</summary>
    public static ProtoWriter IntsAttr(string name, params long[] values) => new ProtoWriter().String(1, name).PackedInt64(8, values).Int32(20, 7);
}
