using System.Numerics.Tensors;

namespace SearchRec.Deep.Model;

/// <summary>How a tower pools the embedding rows of its bag.</summary>
public enum BagPooling
{
    /// <summary>Weighted mean: Σ w·e / Σ w. A long text's matching grams are averaged with all the others.</summary>
    Mean,
    /// <summary>Weighted sum scaled by 1/√(Σ w): a long text keeps more of each gram than under the mean.</summary>
    Sqrt,
    /// <summary>Per dimension, the largest w·e over the bag (padding excluded); an empty bag pools to zeros.</summary>
    Max,
    /// <summary>Learned attention: α ∝ w·exp(e·a) over the bag, Σ α·e; the vector a starts at zero (= the mean).</summary>
    Attention,
}

/// <summary>
/// One tower: an embedding bag (rows of <see cref="Emb"/> picked by the ids, pooled by <see cref="Pooling"/>), then
/// Linear → ReLU → Linear → L2 normalisation. The same arithmetic is exported to ONNX by
/// <see cref="Onnx.TowerExporter"/>; this class is the training-time forward and backward pass.
/// </summary>
internal sealed class BagTower
{
    /// <summary>Floor of the weight sum in the mean, so an all-padding input gives a zero bag, not NaN.</summary>
    internal const float WeightFloor = 1e-6f;
    /// <summary>Floor of the output norm before dividing.</summary>
    internal const float NormFloor = 1e-12f;

    public BagTower(string name, int vocab, int dim, int hidden, int output, int sideDim = 0, BagPooling pooling = BagPooling.Mean)
    {
        Name = name; Vocab = vocab; Dim = dim; Hidden = hidden; Output = output; SideDim = sideDim; Pooling = pooling;
        Emb = new float[(long)vocab * dim];
        Att = new float[pooling == BagPooling.Attention ? dim : 0];
        Ws = new float[sideDim * dim];
        W1 = new float[dim * hidden]; B1 = new float[hidden];
        W2 = new float[hidden * output]; B2 = new float[output];
    }

    public string Name { get; }
    public int Vocab { get; }
    public int Dim { get; }
    public int Hidden { get; }
    public int Output { get; }
    /// <summary>Width of the optional side input (the item's text vector and its has-text flag); 0 = none.</summary>
    public int SideDim { get; }
    public BagPooling Pooling { get; }
    public float[] Emb { get; }
    /// <summary>Attention query vector [Dim] (attention pooling only, else empty); zero at start, so pooling begins as the weighted mean.</summary>
    public float[] Att { get; }
    /// <summary>Side projection [SideDim, Dim], added to the pooled bag; starts at zero so a side input changes nothing until trained.</summary>
    public float[] Ws { get; }
    public float[] W1 { get; }
    public float[] B1 { get; }
    public float[] W2 { get; }
    public float[] B2 { get; }

    /// <summary>Seeded initialisation: embeddings N(0, 1/√dim)-ish, He-uniform dense layers, zero biases.</summary>
    public void Initialize(Random rng)
    {
        var e = 1.7320508f / MathF.Sqrt(Dim);
        for (var i = 0; i < Emb.Length; i++) Emb[i] = (float)(rng.NextDouble() * 2 - 1) * e;
        Array.Clear(Emb, 0, Dim); // padding row
        var a1 = MathF.Sqrt(6f / Dim);
        for (var i = 0; i < W1.Length; i++) W1[i] = (float)(rng.NextDouble() * 2 - 1) * a1;
        var a2 = MathF.Sqrt(6f / Hidden);
        for (var i = 0; i < W2.Length; i++) W2[i] = (float)(rng.NextDouble() * 2 - 1) * a2;
        Array.Clear(B1); Array.Clear(B2);
    }

    /// <summary>Pools the bag into <paramref name="pooled"/> (scratch on the stack); returns the divisor used by mean/sqrt pooling.</summary>
    public float Pool(ReadOnlySpan<long> ids, ReadOnlySpan<float> weights, Span<float> pooled)
    {
        Span<int> arg = Pooling == BagPooling.Max ? stackalloc int[Dim] : default;
        Span<float> alpha = Pooling != BagPooling.Attention ? default : ids.Length <= 1024 ? stackalloc float[ids.Length] : new float[ids.Length];
        return Pool(ids, weights, pooled, arg, alpha);
    }

    /// <summary>
    /// Pools the bag. Mean/sqrt: returns the divisor (max(Σw, floor) or max(√Σw, floor)). Max: writes each dimension's
    /// winning position into <paramref name="argmax"/> (−1 for an empty bag). Attention: writes the weights α into
    /// <paramref name="alpha"/> (length ≥ ids.Length). The backward pass (<see cref="ScatterPoolGrad"/>) reads them.
    /// </summary>
    public float Pool(ReadOnlySpan<long> ids, ReadOnlySpan<float> weights, Span<float> pooled, Span<int> argmax, Span<float> alpha)
    {
        pooled.Clear();
        switch (Pooling)
        {
            case BagPooling.Max:
            {
                argmax.Fill(-1);
                for (var l = 0; l < ids.Length; l++)
                {
                    var w = weights[l];
                    if (w == 0f) continue;
                    var row = Emb.AsSpan((int)(ids[l] * Dim), Dim);
                    for (var d = 0; d < Dim; d++)
                    {
                        var v = w * row[d];
                        if (argmax[d] < 0 || v > pooled[d]) { pooled[d] = v; argmax[d] = l; }
                    }
                }
                return 1f;
            }
            case BagPooling.Attention:
            {
                var max = float.NegativeInfinity;
                for (var l = 0; l < ids.Length; l++)
                {
                    if (weights[l] == 0f) { alpha[l] = 0f; continue; }
                    var sc = TensorPrimitives.Dot(Emb.AsSpan((int)(ids[l] * Dim), Dim), Att);
                    alpha[l] = sc;
                    if (sc > max) max = sc;
                }
                var sum = 0f;
                for (var l = 0; l < ids.Length; l++)
                {
                    var w = weights[l];
                    alpha[l] = w == 0f ? 0f : w * MathF.Exp(alpha[l] - max);
                    sum += alpha[l];
                }
                var denom = MathF.Max(sum, WeightFloor);
                for (var l = 0; l < ids.Length; l++)
                {
                    alpha[l] /= denom;
                    if (alpha[l] != 0f) TensorPrimitives.MultiplyAdd(Emb.AsSpan((int)(ids[l] * Dim), Dim), alpha[l], pooled, pooled);
                }
                return 1f;
            }
            default:
            {
                var sum = 0f;
                for (var l = 0; l < ids.Length; l++)
                {
                    var w = weights[l];
                    if (w == 0f) continue;
                    sum += w;
                    TensorPrimitives.MultiplyAdd(Emb.AsSpan((int)(ids[l] * Dim), Dim), w, pooled, pooled);
                }
                var denom = Pooling == BagPooling.Sqrt ? MathF.Max(MathF.Sqrt(sum), WeightFloor) : MathF.Max(sum, WeightFloor);
                TensorPrimitives.Divide(pooled, denom, pooled);
                return denom;
            }
        }
    }

    /// <summary>
    /// Attention pooling's backward step that must run before the dense update: turns dL/dpooled into dL/dscore per
    /// position (into <paramref name="dScore"/>) and adds dL/da into <paramref name="g"/>.
    /// </summary>
    public void BackwardAttention(ReadOnlySpan<long> ids, ReadOnlySpan<float> alpha, ReadOnlySpan<float> dPooled, Span<float> dScore, DenseGrads g)
    {
        // α = softmax-like weights; dα_l = e_l·dp; ds_l = α_l (dα_l − Σ α dα).
        var c = 0f;
        for (var l = 0; l < ids.Length; l++)
        {
            dScore[l] = alpha[l] == 0f ? 0f : TensorPrimitives.Dot(Emb.AsSpan((int)(ids[l] * Dim), Dim), dPooled);
            c += alpha[l] * dScore[l];
        }
        for (var l = 0; l < ids.Length; l++)
        {
            dScore[l] = alpha[l] * (dScore[l] - c);
            if (dScore[l] != 0f) TensorPrimitives.MultiplyAdd(Emb.AsSpan((int)(ids[l] * Dim), Dim), dScore[l], g.Att, g.Att);
        }
    }

    /// <summary>
    /// Adds dL/d(embedding row) of each bag position into <paramref name="gE"/> (rows of <see cref="Dim"/> floats) and calls
    /// <paramref name="touch"/> with each row id touched. <paramref name="att"/> is the attention vector the forward pass used.
    /// </summary>
    public void ScatterPoolGrad(ReadOnlySpan<long> ids, ReadOnlySpan<float> weights, ReadOnlySpan<float> dPooled, float denom,
        ReadOnlySpan<int> argmax, ReadOnlySpan<float> alpha, ReadOnlySpan<float> dScore, ReadOnlySpan<float> att, float[] gE, Action<int> touch)
    {
        switch (Pooling)
        {
            case BagPooling.Max:
                for (var d = 0; d < Dim; d++)
                {
                    var l = argmax[d];
                    if (l < 0) continue;
                    var id = (int)ids[l];
                    if (id == 0) continue;
                    touch(id);
                    gE[id * Dim + d] += weights[l] * dPooled[d];
                }
                return;
            case BagPooling.Attention:
                for (var l = 0; l < ids.Length; l++)
                {
                    if (alpha[l] == 0f) continue;
                    var id = (int)ids[l];
                    if (id == 0) continue;
                    touch(id);
                    var gr = gE.AsSpan(id * Dim, Dim);
                    TensorPrimitives.MultiplyAdd(dPooled, alpha[l], gr, gr);
                    TensorPrimitives.MultiplyAdd(att, dScore[l], gr, gr);
                }
                return;
            default:
                var inv = 1f / denom;
                for (var l = 0; l < ids.Length; l++)
                {
                    var w = weights[l];
                    if (w == 0f) continue;
                    var id = (int)ids[l];
                    if (id == 0) continue;
                    touch(id);
                    var gr = gE.AsSpan(id * Dim, Dim);
                    TensorPrimitives.MultiplyAdd(dPooled, w * inv, gr, gr);
                }
                return;
        }
    }

    /// <summary>Full forward pass for one input. <paramref name="z1"/> and <paramref name="z2"/> keep pre-activations for backward; returns the pre-normalisation norm (floored).</summary>
    public float Forward(ReadOnlySpan<long> ids, ReadOnlySpan<float> weights, Span<float> pooled, Span<float> z1, Span<float> h, Span<float> z2, Span<float> y)
    {
        Pool(ids, weights, pooled);
        return Head(pooled, z1, h, z2, y);
    }

    /// <summary>Full forward pass with a side input (length <see cref="SideDim"/>) added to the pooled bag through <see cref="Ws"/>.</summary>
    public float Forward(ReadOnlySpan<long> ids, ReadOnlySpan<float> weights, ReadOnlySpan<float> side, Span<float> pooled, Span<float> z1, Span<float> h, Span<float> z2, Span<float> y)
    {
        Pool(ids, weights, pooled);
        AddSide(side, pooled);
        return Head(pooled, z1, h, z2, y);
    }

    /// <summary>pooled += side · Ws.</summary>
    public void AddSide(ReadOnlySpan<float> side, Span<float> pooled)
    {
        if (side.Length != SideDim) throw new ArgumentException($"side input has length {side.Length}; the tower takes {SideDim}.", nameof(side));
        for (var t = 0; t < side.Length; t++)
        {
            var v = side[t];
            if (v != 0f) TensorPrimitives.MultiplyAdd(Ws.AsSpan(t * Dim, Dim), v, pooled, pooled);
        }
    }

    /// <summary>Adds dL/dWs = side ⊗ dL/dpooled into <paramref name="g"/>.</summary>
    public void BackwardSide(ReadOnlySpan<float> side, ReadOnlySpan<float> dPooled, DenseGrads g)
    {
        for (var t = 0; t < side.Length; t++)
        {
            var v = side[t];
            if (v != 0f) TensorPrimitives.MultiplyAdd(dPooled, v, g.Ws.AsSpan(t * Dim, Dim), g.Ws.AsSpan(t * Dim, Dim));
        }
    }

    /// <summary>The MLP and normalisation after pooling.</summary>
    public float Head(ReadOnlySpan<float> pooled, Span<float> z1, Span<float> h, Span<float> z2, Span<float> y)
    {
        B1.CopyTo(z1);
        for (var d = 0; d < Dim; d++)
        {
            var p = pooled[d];
            if (p != 0f) TensorPrimitives.MultiplyAdd(W1.AsSpan(d * Hidden, Hidden), p, z1, z1);
        }
        TensorPrimitives.Max(z1, 0f, h);
        B2.CopyTo(z2);
        for (var k = 0; k < Hidden; k++)
        {
            var v = h[k];
            if (v != 0f) TensorPrimitives.MultiplyAdd(W2.AsSpan(k * Output, Output), v, z2, z2);
        }
        var norm = MathF.Max(MathF.Sqrt(TensorPrimitives.Dot(z2, z2)), NormFloor);
        TensorPrimitives.Divide(z2, norm, y);
        return norm;
    }

    /// <summary>
    /// Backward pass for one input given dL/dy: adds parameter gradients of the dense layers into
    /// <paramref name="g"/> and writes dL/dpooled. <paramref name="scratch"/> needs Output + 2·Hidden floats.
    /// </summary>
    public void Backward(ReadOnlySpan<float> pooled, ReadOnlySpan<float> z1, ReadOnlySpan<float> h, ReadOnlySpan<float> y, float norm,
        ReadOnlySpan<float> dy, DenseGrads g, Span<float> dPooled, Span<float> scratch)
    {
        var dz2 = scratch[..Output];
        var dh = scratch.Slice(Output, Hidden);
        var dz1 = scratch.Slice(Output + Hidden, Hidden);
        // d(z/|z|) = (dy − y·(y·dy)) / |z|
        var yd = TensorPrimitives.Dot(y, dy);
        TensorPrimitives.MultiplyAdd(y, -yd, dy, dz2);
        TensorPrimitives.Divide(dz2, norm, dz2);
        TensorPrimitives.Add(g.B2, dz2, g.B2);
        for (var k = 0; k < Hidden; k++)
        {
            var hk = h[k];
            var w2row = W2.AsSpan(k * Output, Output);
            dh[k] = z1[k] > 0f ? TensorPrimitives.Dot(w2row, dz2) : 0f;
            if (hk != 0f) TensorPrimitives.MultiplyAdd(dz2, hk, g.W2.AsSpan(k * Output, Output), g.W2.AsSpan(k * Output, Output));
        }
        dh.CopyTo(dz1);
        TensorPrimitives.Add(g.B1, dz1, g.B1);
        for (var d = 0; d < Dim; d++)
        {
            var w1row = W1.AsSpan(d * Hidden, Hidden);
            dPooled[d] = TensorPrimitives.Dot(w1row, dz1);
            var p = pooled[d];
            if (p != 0f) TensorPrimitives.MultiplyAdd(dz1, p, g.W1.AsSpan(d * Hidden, Hidden), g.W1.AsSpan(d * Hidden, Hidden));
        }
    }

    /// <summary>Gradient buffers of the dense layers (one per worker shard).</summary>
    internal sealed class DenseGrads
    {
        public DenseGrads(BagTower t)
        {
            W1 = new float[t.W1.Length]; B1 = new float[t.B1.Length];
            W2 = new float[t.W2.Length]; B2 = new float[t.B2.Length];
            Ws = new float[t.Ws.Length];
            Att = new float[t.Att.Length];
        }
        public float[] W1 { get; }
        public float[] B1 { get; }
        public float[] W2 { get; }
        public float[] B2 { get; }
        public float[] Ws { get; }
        public float[] Att { get; }
        public void Clear() { Array.Clear(W1); Array.Clear(B1); Array.Clear(W2); Array.Clear(B2); Array.Clear(Ws); Array.Clear(Att); }
        public void AddTo(DenseGrads total)
        {
            TensorPrimitives.Add(total.W1, W1, total.W1); TensorPrimitives.Add(total.B1, B1, total.B1);
            TensorPrimitives.Add(total.W2, W2, total.W2); TensorPrimitives.Add(total.B2, B2, total.B2);
            if (Ws.Length > 0) TensorPrimitives.Add(total.Ws, Ws, total.Ws);
            if (Att.Length > 0) TensorPrimitives.Add(total.Att, Att, total.Att);
        }
    }
}
