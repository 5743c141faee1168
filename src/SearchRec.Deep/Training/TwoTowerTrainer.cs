using System.Numerics.Tensors;
using SearchRec.Deep.Model;

namespace SearchRec.Deep.Training;

/// <summary>One side of a training pair: bag ids and their weights (0 = padding), and the tower's side input if it takes one.</summary>
internal readonly record struct Bag(long[] Ids, float[] Weights, float[]? Side = null);

/// <summary>
/// A positive pair; <see cref="Key"/> identifies the right side so duplicates in a batch are not used as negatives.
/// An optional hard negative (a right side that looks like the positive but is not it, key <see cref="NegativeKey"/>)
/// joins the batch's negatives for every row; <see cref="Negative"/> with null ids means none.
/// </summary>
internal readonly record struct PairExample(Bag Left, Bag Right, long Key)
{
    public Bag Negative { get; init; }
    public long NegativeKey { get; init; } = -1;
    public bool HasNegative => Negative.Ids is not null;
}

/// <summary>
/// A query with its own candidate list (listwise training): row logits are right·left / τ + <see cref="Offsets"/>[j]
/// over the candidates, cross-entropy against <see cref="Target"/>. A fixed offset (e.g. scaled BM25) makes the cosine
/// learn only what the offset gets wrong. <see cref="Keys"/> identify candidates so another row's copy of this row's
/// target is never its negative.
/// </summary>
internal readonly record struct ListExample(Bag Query, Bag[] Candidates, long[] Keys, float[] Offsets, int Target)
{
    /// <summary>The smallest offset of the list: what another row's candidate gets as an in-batch negative.</summary>
    public float MinOffset
    {
        get
        {
            var m = float.PositiveInfinity;
            foreach (var o in Offsets) m = Math.Min(m, o);
            return m;
        }
    }
}

/// <summary>
/// Trains two <see cref="BagTower"/>s (or one shared tower) with sampled softmax over in-batch negatives:
/// logits = left·right / τ, cross-entropy against the diagonal. Each batch is cut into a fixed number of shards
/// that run in parallel with their own gradient buffers and are summed in shard order, so a fixed seed gives
/// the same model whatever the thread count. Adam for the dense layers, lazy (row-wise) Adam for embeddings.
/// </summary>
internal sealed class TwoTowerTrainer
{
    private const int Shards = 8;
    private readonly BagTower _left, _right;
    private readonly bool _shared;
    private readonly TrainerOptions _o;
    private readonly Side _l, _r, _n;
    private readonly BagTower.DenseGrads[] _gl, _gr;
    private readonly AdamState _al, _ar;
    private long _step;
    private readonly float[] _attL, _attR;
    private Side? _lc; // candidate rows of a listwise batch (grown on demand)

    public TwoTowerTrainer(BagTower left, BagTower right, TrainerOptions options)
    {
        _left = left; _right = right; _shared = ReferenceEquals(left, right); _o = options;
        _l = new Side(left, options.BatchSize); _r = new Side(right, options.BatchSize); _n = new Side(right, options.BatchSize);
        _gl = new BagTower.DenseGrads[Shards]; _gr = new BagTower.DenseGrads[Shards];
        for (var s = 0; s < Shards; s++)
        {
            _gl[s] = new BagTower.DenseGrads(left);
            _gr[s] = _shared ? _gl[s] : new BagTower.DenseGrads(right);
        }
        _attL = new float[left.Att.Length]; _attR = new float[right.Att.Length];
        _al = new AdamState(left);
        _ar = _shared ? _al : new AdamState(right);
    }

    /// <summary>One pass over <paramref name="examples"/> in a seeded random order; returns the mean batch loss.</summary>
    public double Epoch(IReadOnlyList<PairExample> examples, Random rng, Action<int, int, double>? progress = null)
    {
        var order = new int[examples.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        rng.Shuffle(order);
        double total = 0;
        var batches = 0;
        var batch = new PairExample[_o.BatchSize];
        for (var start = 0; start + 2 <= order.Length; start += _o.BatchSize)
        {
            var b = Math.Min(_o.BatchSize, order.Length - start);
            for (var i = 0; i < b; i++) batch[i] = examples[order[start + i]];
            total += Step(batch.AsSpan(0, b));
            batches++;
            progress?.Invoke(start + b, order.Length, total / batches);
        }
        return batches == 0 ? 0 : total / batches;
    }

    /// <summary>Mean loss of a batch without updating (for tests and validation).</summary>
    public double Loss(ReadOnlySpan<PairExample> batch)
    {
        var arr = batch.ToArray();
        ForwardAll(arr);
        return Logits(arr, computeGrads: false);
    }

    internal double Step(ReadOnlySpan<PairExample> batchSpan)
    {
        var batch = batchSpan.ToArray();
        var b = batch.Length;
        ForwardAll(batch);
        var loss = Logits(batch, computeGrads: true);
        var negatives = HasNegatives(batch);
        var po = new ParallelOptions { MaxDegreeOfParallelism = _o.Threads };
        Parallel.For(0, Shards, po, s =>
        {
            var (lo, hi) = ShardRange(s, b);
            _gl[s].Clear();
            if (!_shared) _gr[s].Clear();
            Span<float> scratch = stackalloc float[Math.Max(_left.Output + 2 * _left.Hidden, _right.Output + 2 * _right.Hidden)];
            for (var i = lo; i < hi; i++)
            {
                _l.Backward(_left, i, batch[i].Left, _gl[s], scratch);
                _r.Backward(_right, i, batch[i].Right, _gr[s], scratch);
                if (negatives && batch[i].HasNegative) _n.Backward(_right, i, batch[i].Negative, _gr[s], scratch);
            }
        });
        for (var s = 1; s < Shards; s++)
        {
            _gl[s].AddTo(_gl[0]);
            if (!_shared) _gr[s].AddTo(_gr[0]);
        }
        _step++;
        // The embedding scatter needs the attention vector the forward pass used, not the updated one.
        _left.Att.CopyTo(_attL, 0);
        _right.Att.CopyTo(_attR, 0);
        _al.UpdateDense(_left, _gl[0], _o.LearningRate, _step);
        if (!_shared) _ar.UpdateDense(_right, _gr[0], _o.LearningRate, _step);
        _al.ScatterEmbedding(_left, _l, b, i => batch[i].Left, _attL);
        _ar.ScatterEmbedding(_right, _r, b, i => batch[i].Right, _attR);
        if (negatives) _ar.ScatterEmbedding(_right, _n, b, i => batch[i].Negative, _attR);
        _al.UpdateEmbedding(_left, _o.EmbeddingLearningRate, _step);
        if (!_shared) _ar.UpdateEmbedding(_right, _o.EmbeddingLearningRate, _step);
        return loss;
    }

    /// <summary>One pass over listwise examples in a seeded random order; returns the mean batch loss.</summary>
    public double ListEpoch(IReadOnlyList<ListExample> examples, Random rng, bool inBatch, Action<int, int, double>? progress = null)
    {
        var order = new int[examples.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        rng.Shuffle(order);
        double total = 0;
        var batches = 0;
        var batch = new ListExample[_o.BatchSize];
        for (var start = 0; start < order.Length; start += _o.BatchSize)
        {
            var b = Math.Min(_o.BatchSize, order.Length - start);
            for (var i = 0; i < b; i++) batch[i] = examples[order[start + i]];
            total += ListStep(batch.AsSpan(0, b), inBatch);
            batches++;
            progress?.Invoke(start + b, order.Length, total / batches);
        }
        return batches == 0 ? 0 : total / batches;
    }

    /// <summary>Mean listwise loss of a batch without updating (for tests).</summary>
    public double ListLoss(ReadOnlySpan<ListExample> batch, bool inBatch)
    {
        var arr = batch.ToArray();
        var starts = ListForward(arr);
        return ListLogits(arr, starts, inBatch, computeGrads: false);
    }

    /// <summary>Loss of a listwise batch with its dense gradients summed into <see cref="LeftGrads"/> / <see cref="RightGrads"/>; no update.</summary>
    internal double ListGradients(ListExample[] batch, bool inBatch)
    {
        var starts = ListForward(batch);
        var loss = ListLogits(batch, starts, inBatch, computeGrads: true);
        var c = _lc!;
        var po = new ParallelOptions { MaxDegreeOfParallelism = _o.Threads };
        Parallel.For(0, Shards, po, s =>
        {
            var (lo, hi) = ShardRange(s, batch.Length);
            _gl[s].Clear();
            if (!_shared) _gr[s].Clear();
            Span<float> scratch = stackalloc float[Math.Max(_left.Output + 2 * _left.Hidden, _right.Output + 2 * _right.Hidden)];
            for (var i = lo; i < hi; i++)
            {
                _l.Backward(_left, i, batch[i].Query, _gl[s], scratch);
                var cands = batch[i].Candidates;
                for (var j = 0; j < cands.Length; j++) c.Backward(_right, starts[i] + j, cands[j], _gr[s], scratch);
            }
        });
        for (var s = 1; s < Shards; s++)
        {
            _gl[s].AddTo(_gl[0]);
            if (!_shared) _gr[s].AddTo(_gr[0]);
        }
        return loss;
    }

    /// <summary>Summed dense gradients of the left (query) tower after the last gradient pass.</summary>
    internal BagTower.DenseGrads LeftGrads => _gl[0];
    /// <summary>Summed dense gradients of the right (candidate) tower; the same object as <see cref="LeftGrads"/> when shared.</summary>
    internal BagTower.DenseGrads RightGrads => _gr[0];

    internal double ListStep(ReadOnlySpan<ListExample> batchSpan, bool inBatch)
    {
        var batch = batchSpan.ToArray();
        var loss = ListGradients(batch, inBatch);
        var starts = Starts(batch);
        var c = _lc!;
        _step++;
        _left.Att.CopyTo(_attL, 0);
        _right.Att.CopyTo(_attR, 0);
        _al.UpdateDense(_left, _gl[0], _o.LearningRate, _step);
        if (!_shared) _ar.UpdateDense(_right, _gr[0], _o.LearningRate, _step);
        _al.ScatterEmbedding(_left, _l, batch.Length, i => batch[i].Query, _attL);
        var owner = new int[starts[^1]];
        for (var i = 0; i < batch.Length; i++) owner.AsSpan(starts[i], batch[i].Candidates.Length).Fill(i);
        _ar.ScatterEmbedding(_right, c, owner.Length, r => batch[owner[r]].Candidates[r - starts[owner[r]]], _attR);
        _al.UpdateEmbedding(_left, _o.EmbeddingLearningRate, _step);
        if (!_shared) _ar.UpdateEmbedding(_right, _o.EmbeddingLearningRate, _step);
        return loss;
    }

    // Row start of each example's candidates in the candidate side, plus the total at the end.
    private static int[] Starts(ListExample[] batch)
    {
        var starts = new int[batch.Length + 1];
        for (var i = 0; i < batch.Length; i++)
        {
            var e = batch[i];
            if (e.Candidates.Length == 0 || e.Candidates.Length != e.Offsets.Length || e.Candidates.Length != e.Keys.Length || (uint)e.Target >= (uint)e.Candidates.Length)
                throw new ArgumentException($"list example {i}: {e.Candidates.Length} candidates, {e.Offsets.Length} offsets, {e.Keys.Length} keys, target {e.Target}.");
            starts[i + 1] = starts[i] + e.Candidates.Length;
        }
        return starts;
    }

    private int[] ListForward(ListExample[] batch)
    {
        if (batch.Length > _o.BatchSize) throw new ArgumentException($"{batch.Length} list examples exceed the batch size {_o.BatchSize}.");
        var starts = Starts(batch);
        if (_lc is null || _lc.Rows < starts[^1]) _lc = new Side(_right, Math.Max(starts[^1], _lc?.Rows * 2 ?? 0));
        var c = _lc;
        var po = new ParallelOptions { MaxDegreeOfParallelism = _o.Threads };
        Parallel.For(0, Shards, po, s =>
        {
            var (lo, hi) = ShardRange(s, batch.Length);
            for (var i = lo; i < hi; i++)
            {
                _l.Forward(_left, i, batch[i].Query);
                var cands = batch[i].Candidates;
                for (var j = 0; j < cands.Length; j++) c.Forward(_right, starts[i] + j, cands[j]);
            }
        });
        return starts;
    }

    // Row i's columns: its own candidates (logit cos/τ + offset), and with inBatch every other row's candidates at
    // row i's smallest offset (masked where one is row i's target). Fills dY of both sides; returns the mean loss.
    private double ListLogits(ListExample[] batch, int[] starts, bool inBatch, bool computeGrads)
    {
        var b = batch.Length;
        var total = starts[^1];
        var c = _lc!;
        var invT = 1f / _o.Temperature;
        var rowLoss = new double[b];
        // Gradient w.r.t. each logit: own columns only (b × own) or every candidate row (b × total).
        var g = new float[inBatch ? b * total : total];
        var po = new ParallelOptions { MaxDegreeOfParallelism = _o.Threads };
        Parallel.For(0, b, po, i =>
        {
            var e = batch[i];
            var yi = _l.Y(i);
            var row = inBatch ? g.AsSpan(i * total, total) : g.AsSpan(starts[i], e.Candidates.Length);
            var own = inBatch ? starts[i] : 0;
            if (inBatch)
            {
                var floor = e.MinOffset;
                var target = e.Keys[e.Target];
                for (var k = 0; k < b; k++)
                {
                    if (k == i) continue;
                    for (var j = 0; j < batch[k].Candidates.Length; j++)
                        row[starts[k] + j] = batch[k].Keys[j] == target ? float.NegativeInfinity : TensorPrimitives.Dot(yi, c.Y(starts[k] + j)) * invT + floor;
                }
            }
            for (var j = 0; j < e.Candidates.Length; j++) row[own + j] = TensorPrimitives.Dot(yi, c.Y(starts[i] + j)) * invT + e.Offsets[j];
            var max = TensorPrimitives.Max(row);
            double sum = 0;
            for (var j = 0; j < row.Length; j++) { var x = MathF.Exp(row[j] - max); row[j] = x; sum += x; }
            rowLoss[i] = -Math.Log(row[own + e.Target] / sum);
            TensorPrimitives.Multiply(row, (float)(1.0 / (sum * b)), row);
            row[own + e.Target] -= 1f / b;
        });
        if (computeGrads)
        {
            Parallel.For(0, b, po, i =>
            {
                var d = _l.DY(i);
                d.Clear();
                var (lo, hi) = inBatch ? (0, total) : (starts[i], starts[i + 1]);
                var row = inBatch ? g.AsSpan(i * total, total) : g.AsSpan(starts[i], hi - lo);
                for (var r = lo; r < hi; r++) { var x = row[r - lo]; if (x != 0f) TensorPrimitives.MultiplyAdd(c.Y(r), x * invT, d, d); }
            });
            Parallel.For(0, b, po, k =>
            {
                for (var r = starts[k]; r < starts[k + 1]; r++)
                {
                    var d = c.DY(r);
                    d.Clear();
                    if (!inBatch) { TensorPrimitives.MultiplyAdd(_l.Y(k), g[r] * invT, d, d); continue; }
                    for (var i = 0; i < b; i++) { var x = g[i * total + r]; if (x != 0f) TensorPrimitives.MultiplyAdd(_l.Y(i), x * invT, d, d); }
                }
            });
        }
        double loss = 0;
        foreach (var l in rowLoss) loss += l;
        return loss / b;
    }

    private void ForwardAll(PairExample[] batch)
    {
        var b = batch.Length;
        var po = new ParallelOptions { MaxDegreeOfParallelism = _o.Threads };
        Parallel.For(0, Shards, po, s =>
        {
            var (lo, hi) = ShardRange(s, b);
            for (var i = lo; i < hi; i++)
            {
                _l.Forward(_left, i, batch[i].Left);
                _r.Forward(_right, i, batch[i].Right);
                if (batch[i].HasNegative) _n.Forward(_right, i, batch[i].Negative);
            }
        });
    }

    private static bool HasNegatives(PairExample[] batch)
    {
        foreach (var e in batch) if (e.HasNegative) return true;
        return false;
    }

    // Fills dY of both sides with the gradient of the mean in-batch softmax loss; returns the loss.
    private double Logits(PairExample[] batch, bool computeGrads)
    {
        var b = batch.Length;
        var invT = 1f / _o.Temperature;
        var rowLoss = new double[b];
        // Columns: the batch's right sides, then (when any row has one) the hard negatives, shared by every row.
        var negatives = HasNegatives(batch);
        var cols = negatives ? 2 * b : b;
        var g = new float[b * cols];
        var po = new ParallelOptions { MaxDegreeOfParallelism = _o.Threads };
        Parallel.For(0, b, po, i =>
        {
            var row = g.AsSpan(i * cols, cols);
            var yi = _l.Y(i);
            for (var j = 0; j < b; j++)
                row[j] = j != i && batch[j].Key == batch[i].Key ? float.NegativeInfinity : TensorPrimitives.Dot(yi, _r.Y(j)) * invT;
            for (var k = 0; k < cols - b; k++)
                row[b + k] = !batch[k].HasNegative || batch[k].NegativeKey == batch[i].Key ? float.NegativeInfinity : TensorPrimitives.Dot(yi, _n.Y(k)) * invT;
            var max = TensorPrimitives.Max(row);
            double sum = 0;
            for (var j = 0; j < cols; j++) { var e = MathF.Exp(row[j] - max); row[j] = e; sum += e; }
            rowLoss[i] = -Math.Log(row[i] / sum);
            var scale = (float)(1.0 / (sum * b));
            TensorPrimitives.Multiply(row, scale, row);
            row[i] -= 1f / b;
        });
        if (computeGrads)
        {
            Parallel.For(0, b, po, i =>
            {
                var d = _l.DY(i);
                d.Clear();
                var row = g.AsSpan(i * cols, cols);
                for (var j = 0; j < b; j++) if (row[j] != 0f) TensorPrimitives.MultiplyAdd(_r.Y(j), row[j] * invT, d, d);
                for (var k = 0; k < cols - b; k++) if (row[b + k] != 0f) TensorPrimitives.MultiplyAdd(_n.Y(k), row[b + k] * invT, d, d);
            });
            Parallel.For(0, b, po, j =>
            {
                var d = _r.DY(j);
                d.Clear();
                for (var i = 0; i < b; i++) { var gij = g[i * cols + j]; if (gij != 0f) TensorPrimitives.MultiplyAdd(_l.Y(i), gij * invT, d, d); }
                if (cols == b) return;
                var dn = _n.DY(j);
                dn.Clear();
                for (var i = 0; i < b; i++) { var gij = g[i * cols + b + j]; if (gij != 0f) TensorPrimitives.MultiplyAdd(_l.Y(i), gij * invT, dn, dn); }
            });
        }
        double loss = 0;
        foreach (var l in rowLoss) loss += l;
        return loss / b;
    }

    private static (int Lo, int Hi) ShardRange(int s, int b) => (s * b / Shards, (s + 1) * b / Shards);

    /// <summary>Per-row activations of one side for the current batch.</summary>
    internal sealed class Side
    {
        private readonly int _dim, _hidden, _out;
        public Side(BagTower t, int batch)
        {
            Rows = batch;
            _dim = t.Dim; _hidden = t.Hidden; _out = t.Output;
            Pooled = new float[batch * _dim]; DPooled = new float[batch * _dim];
            Z1 = new float[batch * _hidden]; H = new float[batch * _hidden];
            Z2 = new float[batch * _out]; Yv = new float[batch * _out]; Dy = new float[batch * _out];
            Norm = new float[batch]; Denom = new float[batch];
            ArgMax = new int[t.Pooling == BagPooling.Max ? batch * _dim : 0];
            Alpha = new float[batch][]; DScore = new float[batch][];
        }
        public int Rows { get; }
        public int[] ArgMax { get; }
        public float[][] Alpha { get; }
        public float[][] DScore { get; }
        public Span<int> AM(int i) => ArgMax.Length == 0 ? default : ArgMax.AsSpan(i * _dim, _dim);
        public float[] Pooled { get; } public float[] DPooled { get; } public float[] Z1 { get; } public float[] H { get; }
        public float[] Z2 { get; } public float[] Yv { get; } public float[] Dy { get; } public float[] Norm { get; } public float[] Denom { get; }
        public Span<float> Y(int i) => Yv.AsSpan(i * _out, _out);
        public Span<float> DY(int i) => Dy.AsSpan(i * _out, _out);
        public Span<float> DP(int i) => DPooled.AsSpan(i * _dim, _dim);

        public void Forward(BagTower t, int i, Bag bag)
        {
            var pooled = Pooled.AsSpan(i * _dim, _dim);
            Span<float> alpha = default;
            if (t.Pooling == BagPooling.Attention)
            {
                if (Alpha[i] is null || Alpha[i].Length < bag.Ids.Length) { Alpha[i] = new float[bag.Ids.Length]; DScore[i] = new float[bag.Ids.Length]; }
                alpha = Alpha[i].AsSpan(0, bag.Ids.Length);
            }
            Denom[i] = t.Pool(bag.Ids, bag.Weights, pooled, AM(i), alpha);
            if (bag.Side is { } side) t.AddSide(side, pooled);
            Norm[i] = t.Head(pooled, Z1.AsSpan(i * _hidden, _hidden), H.AsSpan(i * _hidden, _hidden), Z2.AsSpan(i * _out, _out), Y(i));
        }

        public void Backward(BagTower t, int i, Bag bag, BagTower.DenseGrads g, Span<float> scratch)
        {
            t.Backward(Pooled.AsSpan(i * _dim, _dim), Z1.AsSpan(i * _hidden, _hidden), H.AsSpan(i * _hidden, _hidden), Y(i), Norm[i], DY(i), g, DP(i), scratch);
            if (bag.Side is { } side) t.BackwardSide(side, DP(i), g);
            if (t.Pooling == BagPooling.Attention) t.BackwardAttention(bag.Ids, Alpha[i].AsSpan(0, bag.Ids.Length), DP(i), DScore[i].AsSpan(0, bag.Ids.Length), g);
        }
    }

    /// <summary>Adam moments of one tower; embedding rows are updated only when touched (lazy Adam).</summary>
    private sealed class AdamState
    {
        private const float B1 = 0.9f, B2 = 0.999f, Eps = 1e-8f;
        private readonly float[] _mW1, _vW1, _mB1, _vB1, _mW2, _vW2, _mB2, _vB2, _mWs, _vWs, _mE, _vE, _gE;
        private readonly bool[] _touched;
        private readonly List<int> _rows = [];
        private readonly int _dim;

        public AdamState(BagTower t)
        {
            _dim = t.Dim;
            _mW1 = new float[t.W1.Length]; _vW1 = new float[t.W1.Length];
            _mB1 = new float[t.B1.Length]; _vB1 = new float[t.B1.Length];
            _mW2 = new float[t.W2.Length]; _vW2 = new float[t.W2.Length];
            _mB2 = new float[t.B2.Length]; _vB2 = new float[t.B2.Length];
            _mWs = new float[t.Ws.Length]; _vWs = new float[t.Ws.Length];
            _mE = new float[t.Emb.Length]; _vE = new float[t.Emb.Length]; _gE = new float[t.Emb.Length];
            _touched = new bool[t.Vocab];
            _mAtt = new float[t.Att.Length]; _vAtt = new float[t.Att.Length];
            _touch = Touch;
        }
        private readonly float[] _mAtt, _vAtt;
        private readonly Action<int> _touch;

        public void UpdateDense(BagTower t, BagTower.DenseGrads g, float lr, long step)
        {
            var c = Correction(lr, step);
            Adam(t.W1, g.W1, _mW1, _vW1, c); Adam(t.B1, g.B1, _mB1, _vB1, c);
            Adam(t.W2, g.W2, _mW2, _vW2, c); Adam(t.B2, g.B2, _mB2, _vB2, c);
            if (t.Ws.Length > 0) Adam(t.Ws, g.Ws, _mWs, _vWs, c);
            if (t.Att.Length > 0) Adam(t.Att, g.Att, _mAtt, _vAtt, c);
        }

        public void ScatterEmbedding(BagTower t, Side side, int rows, Func<int, Bag> bagAt, float[] att)
        {
            var attention = t.Pooling == BagPooling.Attention;
            for (var i = 0; i < rows; i++)
            {
                var bag = bagAt(i);
                if (bag.Ids is null) continue; // no hard negative in this row
                var n = bag.Ids.Length;
                t.ScatterPoolGrad(bag.Ids, bag.Weights, side.DP(i), side.Denom[i], side.AM(i),
                    attention ? side.Alpha[i].AsSpan(0, n) : default, attention ? side.DScore[i].AsSpan(0, n) : default, att, _gE, _touch);
            }
        }

        private void Touch(int id)
        {
            if (!_touched[id]) { _touched[id] = true; _rows.Add(id); }
        }

        public void UpdateEmbedding(BagTower t, float lr, long step)
        {
            var c = Correction(lr, step);
            _rows.Sort(); // fixed order keeps runs identical
            foreach (var id in _rows)
            {
                var o = id * _dim;
                Adam(t.Emb.AsSpan(o, _dim), _gE.AsSpan(o, _dim), _mE.AsSpan(o, _dim), _vE.AsSpan(o, _dim), c);
                _gE.AsSpan(o, _dim).Clear();
                _touched[id] = false;
            }
            _rows.Clear();
        }

        private static float Correction(float lr, long step) =>
            lr * MathF.Sqrt(1 - MathF.Pow(B2, step)) / (1 - MathF.Pow(B1, step));

        private static void Adam(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float lrc)
        {
            for (var i = 0; i < p.Length; i++)
            {
                var gi = g[i];
                m[i] = B1 * m[i] + (1 - B1) * gi;
                v[i] = B2 * v[i] + (1 - B2) * gi * gi;
                p[i] -= lrc * m[i] / (MathF.Sqrt(v[i]) + Eps);
            }
        }
    }
}

/// <summary>Settings of one two-tower training run.</summary>
internal sealed class TrainerOptions
{
    public int BatchSize { get; init; } = 256;
    public float Temperature { get; init; } = 0.05f;
    public float LearningRate { get; init; } = 2e-3f;
    public float EmbeddingLearningRate { get; init; } = 5e-3f;
    public int Threads { get; init; } = Environment.ProcessorCount;
}
