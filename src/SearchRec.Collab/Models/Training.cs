using System.Numerics.Tensors;
using SearchRec.Core.Events;

namespace SearchRec.Collab.Models;

/// <summary>Every user's events in time order, consecutive repeats of one item merged (max weight, summed weight).</summary>
internal sealed class Sequences
{
    public int[] UserStart = [0];
    public int[] Item = [];
    public long[] Ts = [];
    public float[] WMax = [];
    public float[] WSum = [];
    public int Users => UserStart.Length - 1;

    public static Sequences Build(CollabModels m, UserEvent[] data)
    {
        var order = new int[data.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) =>
        {
            int c = data[a].UserId.CompareTo(data[b].UserId);
            return c != 0 ? c : data[a].Timestamp.CompareTo(data[b].Timestamp);
        });
        var starts = new List<int>();
        var item = new List<int>(data.Length);
        var ts = new List<long>(data.Length);
        var wmax = new List<float>(data.Length);
        var wsum = new List<float>(data.Length);
        long prevUser = long.MinValue;
        foreach (var k in order)
        {
            var e = data[k];
            int idx = m.ItemIndex[e.ItemId];
            float w = m.Options.Weight(e.Behavior);
            if (e.UserId != prevUser) { starts.Add(item.Count); prevUser = e.UserId; }
            else if (item[^1] == idx)
            {
                wmax[^1] = Math.Max(wmax[^1], w);
                wsum[^1] += w;
                ts[^1] = e.Timestamp;
                continue;
            }
            item.Add(idx); ts.Add(e.Timestamp); wmax.Add(w); wsum.Add(w);
        }
        starts.Add(item.Count);
        return new Sequences { UserStart = starts.ToArray(), Item = item.ToArray(), Ts = ts.ToArray(), WMax = wmax.ToArray(), WSum = wsum.ToArray() };
    }
}

/// <summary>
/// Item-to-item neighbours: pairs of events of one user at most N steps and T seconds apart count
/// sqrt(w_a × w_b) × recency; the sum is normalised by sqrt(n_i × n_j) (cosine) and the top neighbours are kept.
/// Built per item in parallel with a dense scratch row per thread.
/// </summary>
internal static class ItemItemBuilder
{
    public static void Build(CollabModels m, Sequences seq, IProgress<TrainProgress>? progress)
    {
        var o = m.Options;
        int n = m.ItemIds.Length;
        var userOf = new int[seq.Item.Length];
        for (int u = 0; u < seq.Users; u++)
            for (int g = seq.UserStart[u]; g < seq.UserStart[u + 1]; g++) userOf[g] = u;

        // recency-weighted occurrence weights and the item -> positions index (CSR)
        double hl = o.CoOccurrenceHalfLifeDays * 86400.0;
        var occW = new float[seq.Item.Length];
        var norm = new double[n];
        var occStart = new int[n + 1];
        for (int g = 0; g < seq.Item.Length; g++)
        {
            occW[g] = (float)(seq.WMax[g] * Math.Pow(2, Math.Max(-60, (seq.Ts[g] - m.ReferenceTime) / hl)));
            norm[seq.Item[g]] += occW[g];
            occStart[seq.Item[g] + 1]++;
        }
        for (int i = 0; i < n; i++) occStart[i + 1] += occStart[i];
        var occ = new int[seq.Item.Length];
        var fill = (int[])occStart.Clone();
        for (int g = 0; g < seq.Item.Length; g++) occ[fill[seq.Item[g]]++] = g;

        int kMax = o.Neighbours;
        var nbrItem = new int[n][];
        var nbrSim = new float[n][];
        int done = 0;
        var opts = new ParallelOptions { MaxDegreeOfParallelism = o.Threads };
        Parallel.For(0, n, opts,
            () => (acc: new float[n], touched: new List<int>(256)),
            (i, loop, st) =>
            {
                var acc = st.acc;
                var touched = st.touched;
                for (int p = occStart[i]; p < occStart[i + 1]; p++)
                {
                    int g = occ[p];
                    int u = userOf[g];
                    int lo = Math.Max(seq.UserStart[u], g - o.CoOccurrenceSteps);
                    int hi = Math.Min(seq.UserStart[u + 1] - 1, g + o.CoOccurrenceSteps);
                    for (int q = lo; q <= hi; q++)
                    {
                        int j = seq.Item[q];
                        if (j == i || Math.Abs(seq.Ts[q] - seq.Ts[g]) > o.CoOccurrenceSeconds) continue;
                        if (acc[j] == 0f) touched.Add(j);
                        acc[j] += MathF.Sqrt(occW[g] * occW[q]);
                    }
                }
                int keep = Math.Min(kMax, touched.Count);
                var items = new int[keep];
                var sims = new float[keep];
                if (keep > 0)
                {
                    // bounded min-heap of the best neighbours
                    var heap = new PriorityQueue<int, float>(keep + 1);
                    foreach (var j in touched)
                    {
                        float sim = (float)(acc[j] / Math.Sqrt(norm[i] * norm[j]));
                        if (heap.Count < keep) heap.Enqueue(j, sim);
                        else if (heap.TryPeek(out _, out var min) && sim > min) { heap.Dequeue(); heap.Enqueue(j, sim); }
                    }
                    for (int r = keep - 1; r >= 0; r--) { heap.TryDequeue(out var j, out var sim); items[r] = j; sims[r] = sim; }
                }
                foreach (var j in touched) acc[j] = 0f;
                touched.Clear();
                nbrItem[i] = items;
                nbrSim[i] = sims;
                int d = Interlocked.Increment(ref done);
                if (progress is not null && d % 20000 == 0) progress.Report(new TrainProgress("item-item", (double)d / n, $"{d:N0}/{n:N0} items"));
                return st;
            },
            _ => { });

        var start = new int[n + 1];
        for (int i = 0; i < n; i++) start[i + 1] = start[i] + nbrItem[i].Length;
        var flatItem = new int[start[n]];
        var flatSim = new float[start[n]];
        for (int i = 0; i < n; i++)
        {
            nbrItem[i].CopyTo(flatItem, start[i]);
            nbrSim[i].CopyTo(flatSim, start[i]);
        }
        m.NbrStart = start;
        m.NbrItem = flatItem;
        m.NbrSim = flatSim;
        progress?.Report(new TrainProgress("item-item", 1, $"{start[n]:N0} neighbour links"));
    }
}

/// <summary>
/// Implicit-feedback ALS (Hu, Koren, Volinsky 2008) solved row by row with a few conjugate-gradient steps
/// (Takács et al. 2011), as the <c>implicit</c> library's CPU solver does. Confidence = 1 + alpha × weight.
/// </summary>
internal static class AlsTrainer
{
    public static void Train(CollabModels m, Sequences seq, IProgress<TrainProgress>? progress, Dictionary<string, double> timings)
    {
        var o = m.Options;
        int f = o.Factors;
        var (uStart, uItem, uConf) = UserMatrix(seq, m.ItemIds.Length, o.Alpha);
        var (iStart, iUser, iConf) = Transpose(uStart, uItem, uConf, m.ItemIds.Length);
        int nU = uStart.Length - 1, nI = m.ItemIds.Length;
        var rng = new Random(o.Seed);
        var X = new float[(long)nU * f];
        var Y = new float[(long)nI * f];
        float scale = 0.01f;
        for (long k = 0; k < Y.Length; k++) Y[k] = (float)(rng.NextDouble() - 0.5) * scale;
        for (long k = 0; k < X.Length; k++) X[k] = (float)(rng.NextDouble() - 0.5) * scale;
        var opts = new ParallelOptions { MaxDegreeOfParallelism = o.Threads };
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (int it = 0; it < o.AlsIterations; it++)
        {
            var gy = Gram(Y, nI, f, o.Regularization, opts);
            SolveAll(X, nU, Y, gy, uStart, uItem, uConf, f, o.CgSteps, opts);
            var gx = Gram(X, nU, f, o.Regularization, opts);
            SolveAll(Y, nI, X, gx, iStart, iUser, iConf, f, o.CgSteps, opts);
            progress?.Report(new TrainProgress("als", (it + 1.0) / o.AlsIterations,
                $"iteration {it + 1}/{o.AlsIterations}, {sw.Elapsed.TotalSeconds / (it + 1):F2} s/iteration"));
        }
        timings["als_s_per_iteration"] = sw.Elapsed.TotalSeconds / o.AlsIterations;
        m.Factors = f;
        m.ItemFactors = new ItemFactorTable(Y, f);
        m.Gram = Gram(Y, nI, f, o.Regularization, opts);
    }

    /// <summary>Runs ALS on a prepared matrix only (for benchmarks); returns seconds per iteration.</summary>
    internal static double TimeIterations(int[] uStart, int[] uItem, float[] uConf, int nI, int f, int iterations, int cgSteps, int threads)
    {
        var (iStart, iUser, iConf) = Transpose(uStart, uItem, uConf, nI);
        int nU = uStart.Length - 1;
        var rng = new Random(1);
        var X = new float[(long)nU * f];
        var Y = new float[(long)nI * f];
        for (long k = 0; k < Y.Length; k++) Y[k] = (float)(rng.NextDouble() - 0.5) * 0.01f;
        var opts = new ParallelOptions { MaxDegreeOfParallelism = threads };
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (int it = 0; it < iterations; it++)
        {
            SolveAll(X, nU, Y, Gram(Y, nI, f, 0.1f, opts), uStart, uItem, uConf, f, cgSteps, opts);
            SolveAll(Y, nI, X, Gram(X, nU, f, 0.1f, opts), iStart, iUser, iConf, f, cgSteps, opts);
        }
        return sw.Elapsed.TotalSeconds / iterations;
    }

    internal static (int[] Start, int[] Col, float[] Conf) UserMatrix(Sequences seq, int nItems, float alpha)
    {
        var start = new int[seq.Users + 1];
        var cols = new List<int>(seq.Item.Length);
        var conf = new List<float>(seq.Item.Length);
        var acc = new Dictionary<int, float>();
        for (int u = 0; u < seq.Users; u++)
        {
            acc.Clear();
            for (int g = seq.UserStart[u]; g < seq.UserStart[u + 1]; g++)
                acc[seq.Item[g]] = acc.GetValueOrDefault(seq.Item[g]) + seq.WSum[g];
            foreach (var (i, w) in acc.OrderBy(p => p.Key)) { cols.Add(i); conf.Add(1f + alpha * w); }
            start[u + 1] = cols.Count;
        }
        return (start, cols.ToArray(), conf.ToArray());
    }

    internal static (int[] Start, int[] Col, float[] Conf) Transpose(int[] start, int[] col, float[] conf, int nCols)
    {
        var tStart = new int[nCols + 1];
        foreach (var c in col) tStart[c + 1]++;
        for (int c = 0; c < nCols; c++) tStart[c + 1] += tStart[c];
        var fill = (int[])tStart.Clone();
        var tCol = new int[col.Length];
        var tConf = new float[col.Length];
        for (int r = 0; r < start.Length - 1; r++)
            for (int k = start[r]; k < start[r + 1]; k++)
            {
                int p = fill[col[k]]++;
                tCol[p] = r;
                tConf[p] = conf[k];
            }
        return (tStart, tCol, tConf);
    }

    /// <summary>
    /// Σ y yᵀ + reg·I over the rows of <paramref name="m"/>: 32 row chunks summed in parallel, then added in chunk
    /// order, so the floats (and the whole ALS run) depend neither on thread scheduling nor on the thread count.
    /// </summary>
    internal static float[] Gram(float[] m, int rows, int f, float reg, ParallelOptions opts)
    {
        // A fixed chunk count (not one per thread) keeps the result the same on machines with other core counts.
        const int chunks = 32;
        var partial = new float[chunks][];
        Parallel.For(0, chunks, opts, c =>
        {
            var local = partial[c] = new float[f * f];
            int lo = (int)((long)rows * c / chunks), hi = (int)((long)rows * (c + 1) / chunks);
            for (int r = lo; r < hi; r++)
            {
                var y = m.AsSpan((int)((long)r * f), f);
                for (int a = 0; a < f; a++)
                    if (y[a] != 0f) TensorPrimitives.MultiplyAdd(y, y[a], local.AsSpan(a * f, f), local.AsSpan(a * f, f));
            }
        });
        var g = partial[0];
        for (int c = 1; c < chunks; c++) TensorPrimitives.Add(g, partial[c], g);
        for (int a = 0; a < f; a++) g[a * f + a] += reg;
        return g;
    }

    private static void SolveAll(float[] x, int rows, float[] y, float[] gram, int[] start, int[] col, float[] conf, int f, int steps, ParallelOptions opts)
    {
        Parallel.For(0, rows, opts, () => new float[3 * f], (r, _, scratch) =>
        {
            if (start[r + 1] > start[r])
                Solve(x.AsSpan((int)((long)r * f), f), y, gram, col.AsSpan(start[r], start[r + 1] - start[r]),
                    conf.AsSpan(start[r], start[r + 1] - start[r]), f, steps, scratch);
            return scratch;
        }, _ => { });
    }

    /// <summary>A few CG steps on (G + Σ (c−1) y yᵀ) x = Σ c y, starting from the current x.</summary>
    internal static void Solve(Span<float> x, float[] y, float[] gram, ReadOnlySpan<int> idx, ReadOnlySpan<float> conf, int f, int steps, float[] scratch)
    {
        var r = scratch.AsSpan(0, f);
        var p = scratch.AsSpan(f, f);
        var ap = scratch.AsSpan(2 * f, f);
        MatVec(gram, x, r, f);
        TensorPrimitives.Negate(r, r);
        for (int k = 0; k < idx.Length; k++)
        {
            var yi = y.AsSpan(idx[k] * f, f);
            float c = conf[k];
            TensorPrimitives.MultiplyAdd(yi, c - (c - 1f) * TensorPrimitives.Dot(yi, x), r, r);
        }
        r.CopyTo(p);
        float rsOld = TensorPrimitives.Dot(r, r);
        if (rsOld < 1e-20f) return;
        for (int s = 0; s < steps; s++)
        {
            MatVec(gram, p, ap, f);
            for (int k = 0; k < idx.Length; k++)
            {
                var yi = y.AsSpan(idx[k] * f, f);
                TensorPrimitives.MultiplyAdd(yi, (conf[k] - 1f) * TensorPrimitives.Dot(yi, p), ap, ap);
            }
            float pap = TensorPrimitives.Dot(p, ap);
            if (!(pap > 0f)) break;
            float alpha = rsOld / pap;
            TensorPrimitives.MultiplyAdd(p, alpha, x, x);
            TensorPrimitives.MultiplyAdd(ap, -alpha, r, r);
            float rsNew = TensorPrimitives.Dot(r, r);
            if (rsNew < 1e-20f) break;
            TensorPrimitives.Multiply(p, rsNew / rsOld, p);
            TensorPrimitives.Add(p, r, p);
            rsOld = rsNew;
        }
    }

    private static void MatVec(float[] g, ReadOnlySpan<float> v, Span<float> dst, int f)
    {
        for (int a = 0; a < f; a++) dst[a] = TensorPrimitives.Dot(g.AsSpan(a * f, f), v);
    }
}
