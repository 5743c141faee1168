using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SearchRec.Core;
using SearchRec.Ranking.Features;

namespace SearchRec.Ranking.Models;

/// <summary>
/// A boosted tree ensemble (LambdaMART) evaluated in plain C#: trees are flattened into arrays, a node goes left
/// when <c>value &lt;= threshold</c> (as FastTree does), and tree weights are folded into the leaf values.
/// </summary>
public sealed class TreeEnsembleRanker : IRankerModel
{
    // One split, 16 bytes, so a step of a row down a tree touches one cache line. Children are absolute: >= 0 a node
    // of _nodes, < 0 the complement of a leaf of _leaf.
    [StructLayout(LayoutKind.Sequential)]
    private struct Node
    {
        public float Threshold;
        public int Feature;
        public int Left;
        public int Right;
    }

    private const int BlockRows = 256; // a request's window at once; large batches (training, eval) in blocks that stay in cache

    private readonly int[] _entry;      // each tree's root node, or the complement of its leaf for a single-leaf tree
    private readonly Node[] _nodes;
    private readonly float[] _leaf;
    private readonly float _bias;

    /// <summary>Creates an ensemble over <paramref name="schema"/> from its trees and bias.</summary>
    public TreeEnsembleRanker(FeatureSchema schema, IReadOnlyList<Tree> trees, double bias)
    {
        Schema = Guard.NotNull(schema);
        Guard.NotNull(trees);
        // With no tree every candidate scores the bias, which silently keeps recall's order.
        if (trees.Count == 0) throw new InvalidDataException("The ensemble holds no trees, so it would score every candidate the same; train it again with `searchrec train-ranker`.");
        if (!double.IsFinite(bias)) throw new InvalidDataException($"The ensemble's bias {bias} is not a finite number.");
        Trees = trees;
        _bias = (float)bias;
        _entry = new int[trees.Count];
        var nodes = 0;
        var leaves = 0;
        for (var t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            tree.Validate(schema.Count, t);
            nodes += tree.Feature.Length;
            leaves += tree.Leaf.Length;
        }
        _nodes = new Node[nodes];
        _leaf = new float[leaves];
        nodes = 0;
        leaves = 0;
        for (var t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            _entry[t] = tree.Feature.Length == 0 ? ~leaves : nodes;
            for (var i = 0; i < tree.Feature.Length; i++)
            {
                int Child(int c) => c >= 0 ? nodes + c : ~(leaves + ~c);
                _nodes[nodes + i] = new Node { Threshold = tree.Threshold[i], Feature = tree.Feature[i], Left = Child(tree.Left[i]), Right = Child(tree.Right[i]) };
            }
            for (var l = 0; l < tree.Leaf.Length; l++) _leaf[leaves + l] = (float)(tree.Leaf[l] * tree.Weight);
            nodes += tree.Feature.Length;
            leaves += tree.Leaf.Length;
        }
    }

    /// <summary>One regression tree: split nodes (children are node indexes, or <c>~leaf</c> for leaves) and leaf values.</summary>
    /// <param name="Feature">Split feature (column) per node.</param>
    /// <param name="Threshold">Split threshold per node: go left when the value is at most this.</param>
    /// <param name="Left">Left child per node.</param>
    /// <param name="Right">Right child per node.</param>
    /// <param name="Leaf">Leaf outputs.</param>
    /// <param name="Weight">The tree's weight in the ensemble.</param>
    public sealed record Tree(int[] Feature, float[] Threshold, int[] Left, int[] Right, double[] Leaf, double Weight)
    {
        internal void Validate(int features, int index)
        {
            var n = Feature.Length;
            if (Threshold.Length != n || Left.Length != n || Right.Length != n)
                throw new InvalidDataException($"Tree {index}: node arrays differ in length.");
            if (Leaf.Length != n + 1) throw new InvalidDataException($"Tree {index}: {n} split nodes need {n + 1} leaves, not {Leaf.Length}.");
            // A NaN or infinite value would make every score it reaches NaN or infinite, and the order arbitrary.
            if (!double.IsFinite(Weight)) throw new InvalidDataException($"Tree {index}: weight {Weight} is not a finite number.");
            for (var i = 0; i < Leaf.Length; i++)
                if (!double.IsFinite(Leaf[i])) throw new InvalidDataException($"Tree {index}, leaf {i}: value {Leaf[i]} is not a finite number.");
            for (var i = 0; i < n; i++)
                if (double.IsNaN(Threshold[i])) throw new InvalidDataException($"Tree {index}, node {i}: threshold is NaN.");
            // Each node but the root and each leaf must have exactly one parent: then no walk from the root can loop,
            // which scoring relies on (it does not bound-check its walks).
            if (n == 0) return;
            var parents = new int[2 * n + 1];
            for (var i = 0; i < n; i++)
            {
                if ((uint)Feature[i] >= (uint)features) throw new InvalidDataException($"Tree {index}, node {i}: feature {Feature[i]} is outside the schema's {features} features.");
                if (Left[i] >= n || Right[i] >= n || ~Left[i] > n || ~Right[i] > n) throw new InvalidDataException($"Tree {index}, node {i}: child out of range.");
                parents[Left[i] >= 0 ? Left[i] : n + ~Left[i]]++;
                parents[Right[i] >= 0 ? Right[i] : n + ~Right[i]]++;
            }
            for (var i = 0; i < parents.Length; i++)
                if (parents[i] != (i == 0 ? 0 : 1))
                    throw new InvalidDataException(i < n
                        ? $"Tree {index}, node {i}: reached from {parents[i]} parents; a tree's root has none and every other node one."
                        : $"Tree {index}, leaf {i - n}: reached from {parents[i]} parents, not one.");
        }
    }

    /// <inheritdoc />
    public string Kind => "lambdamart";

    /// <inheritdoc />
    public FeatureSchema Schema { get; }

    /// <summary>The trees, as given.</summary>
    public IReadOnlyList<Tree> Trees { get; }

    /// <summary>The constant added to every score.</summary>
    public float Bias => _bias;

    /// <inheritdoc />
    public void Score(ReadOnlySpan<float> features, int count, Span<float> scores)
    {
        var stride = Schema.Count;
        CheckSizes(features, count, scores.Length, stride);
        if (count == 0) return;
        var block = Math.Min(count, BlockRows);
        var buffer = ArrayPool<float>.Shared.Rent(block * stride);
        try
        {
            for (var start = 0; start < count; start += block)
            {
                var rows = Math.Min(block, count - start);
                var x = buffer.AsSpan(0, rows * stride);
                CopyRow(features.Slice(start * stride, x.Length), x);
                ScoreBlock(x, rows, scores.Slice(start, rows));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    // Tree by tree over a block of rows (NaN already read as 0): a tree's nodes stay in cache while every row walks
    // it. Each row still adds the trees in order, so its score is the same float as a row-by-row walk gives.
    private void ScoreBlock(Span<float> x, int count, Span<float> sums)
    {
        var stride = Schema.Count;
        sums.Fill(_bias);
        ref var rows = ref MemoryMarshal.GetReference(x);
        for (var t = 0; t < _entry.Length; t++)
        {
            var entry = _entry[t];
            if (entry < 0)
            {
                var value = _leaf[~entry];
                for (var r = 0; r < count; r++) sums[r] += value;
                continue;
            }
            for (var r = 0; r < count; r++)
            {
                ref var row = ref Unsafe.Add(ref rows, r * stride);
                var n = entry;
                while (n >= 0) n = Step(n, ref row);
                sums[r] += _leaf[~n];
            }
        }
    }

    // One step down from node n for the row at x. Unchecked: the constructor validated every feature index and child.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Step(int n, ref float x)
    {
        ref var node = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_nodes), n);
        return Unsafe.Add(ref x, node.Feature) <= node.Threshold ? node.Left : node.Right;
    }

    /// <inheritdoc />
    /// <remarks>
    /// As FastTree's feature contributions: at each split on the row's path, the split feature gets the row's final
    /// leaf value minus the leaf the row would reach had it gone the other way there.
    /// </remarks>
    public float Explain(ReadOnlySpan<float> features, int count, int row, Span<float> contributions)
    {
        var stride = Schema.Count;
        if ((uint)row >= (uint)count) throw new ArgumentOutOfRangeException(nameof(row), row, $"row must be below count ({count}).");
        if (contributions.Length < stride) throw new ArgumentException($"contributions must hold {stride} values.", nameof(contributions));
        CheckSizes(features, count, count, stride);
        Span<float> x = stackalloc float[stride];
        CopyRow(features.Slice(row * stride, stride), x);
        contributions[..stride].Clear();
        var rest = _bias;
        for (var t = 0; t < _entry.Length; t++)
        {
            var entry = _entry[t];
            if (entry < 0)
            {
                rest += _leaf[~entry]; // a single-leaf tree explains nothing
                continue;
            }
            var leafValue = _leaf[LeafFrom(entry, x)];
            var node = entry;
            while (node >= 0)
            {
                var split = _nodes[node];
                var goLeft = x[split.Feature] <= split.Threshold;
                var taken = goLeft ? split.Left : split.Right;
                var other = goLeft ? split.Right : split.Left;
                var otherLeaf = other < 0 ? ~other : LeafFrom(other, x);
                contributions[split.Feature] += leafValue - _leaf[otherLeaf];
                node = taken;
            }
            rest += leafValue;
        }
        // Contributions are differences, not a partition: report the remainder so that the parts add up.
        float explained = 0;
        for (var i = 0; i < stride; i++) explained += contributions[i];
        return rest - explained;
    }

    // The leaf (an index of _leaf) a row reaches from node n.
    private int LeafFrom(int n, ReadOnlySpan<float> x)
    {
        while (n >= 0)
        {
            var split = _nodes[n];
            n = x[split.Feature] <= split.Threshold ? split.Left : split.Right;
        }
        return ~n;
    }

    internal static void CopyRow(ReadOnlySpan<float> src, Span<float> dst)
    {
        for (var i = 0; i < src.Length; i++)
        {
            var v = src[i];
            dst[i] = float.IsNaN(v) ? 0 : v;
        }
    }

    internal static void CheckSizes(ReadOnlySpan<float> features, int count, int scores, int stride)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must not be negative.");
        if (features.Length < count * stride) throw new ArgumentException($"features holds {features.Length} values; {count} rows × {stride} are needed.", nameof(features));
        if (scores < count) throw new ArgumentException($"scores holds {scores} values; {count} are needed.", nameof(scores));
    }
}
