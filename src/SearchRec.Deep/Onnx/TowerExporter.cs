using SearchRec.Deep.Model;
using static SearchRec.Deep.Onnx.OnnxProto;

namespace SearchRec.Deep.Onnx;

/// <summary>
/// Writes a <see cref="BagTower"/> as an ONNX model (IR version 7, opset 13). Inputs <c>ids</c>
/// (int64 [batch, length], 0 = padding) and <c>weights</c> (float [batch, length]); output <c>vector</c>
/// (float [batch, dim], unit length). Both batch and length are dynamic. A tower with a side input (the item tower
/// with text) exported <c>withSide</c> also takes <c>text</c> (float [batch, SideDim − 1]) and <c>has_text</c>
/// (float [batch, 1]); they are concatenated, projected by <c>ws</c> and added to the pooled bag.
/// </summary>
internal static class TowerExporter
{
    public const int Opset = 13;
    public const long IrVersion = 7;
    public const string IdsInput = "ids";
    public const string WeightsInput = "weights";
    public const string VectorOutput = "vector";
    public const string TextInput = "text";
    public const string HasTextInput = "has_text";

    public static byte[] Export(BagTower t, string docString, bool withSide = false)
    {
        if (withSide && t.SideDim < 2) throw new ArgumentException($"tower '{t.Name}' has no side input to export (SideDim {t.SideDim}).", nameof(withSide));
        var graph = new ProtoWriter();
        void Node(string op, string[] ins, string[] outs, params ProtoWriter[] attrs) =>
            graph.Message(1, OnnxProto.Node(op, outs[0] + "_" + op, ins, outs, attrs));

        Node("Gather", ["emb", IdsInput], ["gathered"], IntAttr("axis", 0));
        Node("Unsqueeze", [WeightsInput, "axes2"], ["w3"]);
        var bag = Pool(t, Node);
        if (withSide)
        {
            Node("Concat", [TextInput, HasTextInput], ["side"], IntAttr("axis", 1));
            Node("MatMul", ["side", "ws"], ["side_proj"]);
            Node("Add", [bag, "side_proj"], ["pooled"]);
        }
        else
        {
            Node("Identity", [bag], ["pooled"]);
        }
        Node("MatMul", ["pooled", "w1"], ["m1"]);
        Node("Add", ["m1", "b1"], ["z1"]);
        Node("Relu", ["z1"], ["h"]);
        Node("MatMul", ["h", "w2"], ["m2"]);
        Node("Add", ["m2", "b2"], ["z2"]);
        Node("Mul", ["z2", "z2"], ["sq"]);
        Node("ReduceSum", ["sq", "axes1"], ["sq_sum"], IntAttr("keepdims", 1));
        Node("Sqrt", ["sq_sum"], ["norm"]);
        Node("Max", ["norm", "n_floor"], ["norm_div"]);
        Node("Div", ["z2", "norm_div"], [VectorOutput]);

        graph.String(2, t.Name);
        graph.Message(5, FloatTensor("emb", t.Emb, t.Vocab, t.Dim));
        graph.Message(5, FloatTensor("w1", t.W1, t.Dim, t.Hidden));
        graph.Message(5, FloatTensor("b1", t.B1, t.Hidden));
        graph.Message(5, FloatTensor("w2", t.W2, t.Hidden, t.Output));
        graph.Message(5, FloatTensor("b2", t.B2, t.Output));
        graph.Message(5, Int64Tensor("axes1", [1L], 1));
        graph.Message(5, Int64Tensor("axes2", [2L], 1));
        graph.Message(5, FloatTensor("w_floor", [BagTower.WeightFloor]));
        graph.Message(5, FloatTensor("n_floor", [BagTower.NormFloor]));
        if (withSide) graph.Message(5, FloatTensor("ws", t.Ws, t.SideDim, t.Dim));
        if (t.Pooling is BagPooling.Max or BagPooling.Attention)
        {
            graph.Message(5, FloatTensor("zero", [0f]));
            graph.Message(5, FloatTensor("neg_big", [-1e30f]));
        }
        if (t.Pooling == BagPooling.Attention) graph.Message(5, FloatTensor("att", t.Att, t.Dim, 1));
        graph.Message(11, ValueInfo(IdsInput, ElemInt64, "batch", "length"));
        graph.Message(11, ValueInfo(WeightsInput, ElemFloat, "batch", "length"));
        if (withSide)
        {
            graph.Message(11, ValueInfo(TextInput, ElemFloat, "batch", (long)(t.SideDim - 1)));
            graph.Message(11, ValueInfo(HasTextInput, ElemFloat, "batch", 1L));
        }
        graph.Message(12, ValueInfo(VectorOutput, ElemFloat, "batch", (long)t.Output));

        var opset = new ProtoWriter().Int64(2, Opset);
        var version = typeof(TowerExporter).Assembly.GetName().Version?.ToString() ?? "0";
        var model = new ProtoWriter()
            .Int64(1, IrVersion)
            .String(2, "SearchRec")
            .String(3, version)
            .String(4, "searchrec.deep")
            .Int64(5, 1)
            .String(6, docString)
            .Message(7, graph)
            .Message(8, opset);
        return model.ToArray();
    }

    // Emits the pooling nodes (gathered [b, L, D] and w3 [b, L, 1] exist); returns the pooled [b, D] tensor's name.
    private static string Pool(BagTower t, Action<string, string[], string[], ProtoWriter[]> node)
    {
        void Node(string op, string[] ins, string[] outs, params ProtoWriter[] attrs) => node(op, ins, outs, attrs);
        switch (t.Pooling)
        {
            case BagPooling.Max:
                // Padding (w = 0) must not win, and an all-padding row pools to zeros as in BagTower.Pool.
                Node("Mul", ["gathered", "w3"], ["weighted"]);
                Node("Greater", ["w3", "zero"], ["mask"]);
                Node("Where", ["mask", "weighted", "neg_big"], ["masked"]);
                Node("ReduceMax", ["masked"], ["bag_max"], IntsAttr("axes", 1), IntAttr("keepdims", 0));
                Node("ReduceSum", [WeightsInput, "axes1"], ["w_sum"], IntAttr("keepdims", 1));
                Node("Greater", ["w_sum", "zero"], ["any"]);
                Node("Where", ["any", "bag_max", "zero"], ["bag"]);
                return "bag";
            case BagPooling.Attention:
                Node("MatMul", ["gathered", "att"], ["score"]);
                Node("Greater", ["w3", "zero"], ["mask"]);
                Node("Where", ["mask", "score", "neg_big"], ["score_m"]);
                Node("ReduceMax", ["score_m"], ["score_max"], IntsAttr("axes", 1), IntAttr("keepdims", 1));
                Node("Sub", ["score_m", "score_max"], ["score_c"]);
                Node("Exp", ["score_c"], ["score_e"]);
                Node("Mul", ["score_e", "w3"], ["score_w"]);
                Node("ReduceSum", ["score_w", "axes1"], ["score_sum"], IntAttr("keepdims", 1));
                Node("Max", ["score_sum", "w_floor"], ["score_div"]);
                Node("Div", ["score_w", "score_div"], ["alpha"]);
                Node("Mul", ["gathered", "alpha"], ["weighted"]);
                Node("ReduceSum", ["weighted", "axes1"], ["bag"], IntAttr("keepdims", 0));
                return "bag";
            default:
                Node("Mul", ["gathered", "w3"], ["weighted"]);
                Node("ReduceSum", ["weighted", "axes1"], ["bag_sum"], IntAttr("keepdims", 0));
                Node("ReduceSum", [WeightsInput, "axes1"], ["w_sum"], IntAttr("keepdims", 1));
                if (t.Pooling == BagPooling.Sqrt)
                {
                    Node("Sqrt", ["w_sum"], ["w_root"]);
                    Node("Max", ["w_root", "w_floor"], ["w_div"]);
                }
                else
                {
                    Node("Max", ["w_sum", "w_floor"], ["w_div"]);
                }
                Node("Div", ["bag_sum", "w_div"], ["bag"]);
                return "bag";
        }
    }
}
