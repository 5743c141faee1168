using System.Runtime.InteropServices;
using Google.Protobuf;
using SearchRec.Deep.Model;

namespace SearchRec.Deep.Onnx;

/// <summary>
/// Reads the weights of a tower written by <see cref="TowerExporter"/> back into a <see cref="BagTower"/> of the same
/// shape, so a trained tower can be fine-tuned. Only the float initializers are read (ModelProto.graph = 7,
/// GraphProto.initializer = 5, TensorProto dims = 1, name = 8, raw_data = 9); the graph itself is not checked.
/// </summary>
internal static class TowerReader
{
    /// <summary>Copies <c>emb</c>, <c>w1</c>, <c>b1</c>, <c>w2</c>, <c>b2</c> (and <c>att</c> for attention pooling) into <paramref name="tower"/>.</summary>
    public static void LoadInto(string path, BagTower tower)
    {
        var tensors = Read(path);
        void Copy(string name, float[] target)
        {
            if (!tensors.TryGetValue(name, out var data))
                throw new InvalidDataException($"{path}: no initializer '{name}'; not a tower written by SearchRec.");
            if (data.Length != target.Length)
                throw new InvalidDataException($"{path}: initializer '{name}' has {data.Length} floats; the tower to fine-tune needs {target.Length} (different buckets or dims?).");
            data.CopyTo(target, 0);
        }
        Copy("emb", tower.Emb); Copy("w1", tower.W1); Copy("b1", tower.B1); Copy("w2", tower.W2); Copy("b2", tower.B2);
        if (tower.Att.Length > 0) Copy("att", tower.Att);
        else if (tensors.ContainsKey("att")) throw new InvalidDataException($"{path}: the tower uses attention pooling; the tower to fine-tune does not.");
    }

    private static Dictionary<string, float[]> Read(string path)
    {
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        try
        {
            var model = new CodedInputStream(File.ReadAllBytes(path));
            uint tag;
            while ((tag = model.ReadTag()) != 0)
            {
                if (tag != Tag(7, 2)) { model.SkipLastField(); continue; }
                var graph = new CodedInputStream(model.ReadBytes().ToByteArray());
                while ((tag = graph.ReadTag()) != 0)
                {
                    if (tag != Tag(5, 2)) { graph.SkipLastField(); continue; }
                    var tensor = new CodedInputStream(graph.ReadBytes().ToByteArray());
                    string? name = null;
                    byte[]? raw = null;
                    var elem = 0;
                    while ((tag = tensor.ReadTag()) != 0)
                    {
                        if (tag == Tag(8, 2)) name = tensor.ReadString();
                        else if (tag == Tag(9, 2)) raw = tensor.ReadBytes().ToByteArray();
                        else if (tag == Tag(2, 0)) elem = tensor.ReadInt32();
                        else tensor.SkipLastField();
                    }
                    if (name is not null && raw is not null && elem == OnnxProto.ElemFloat)
                        result[name] = MemoryMarshal.Cast<byte, float>(raw).ToArray();
                }
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path}: not a readable ONNX file ({e.Message}).", e);
        }
        return result;
    }

    private static uint Tag(int field, int wire) => (uint)(field << 3 | wire);
}
