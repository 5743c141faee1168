using SearchRec.Core;
using SearchRec.Ranking.Features;

namespace SearchRec.Ranking.Models;

/// <summary>
/// A boosted tree ensemble (LambdaMART) evaluated in plain C#: trees are flattened into arrays, a node goes left
/// when <c>value &lt;= threshold</c> (as FastTree does), and tree weights are folded into the leaf values.
/// </summary>
public sealed class TreeEnsembleRanker : IRankerModel
{
    private readonly int[] _treeRoot;      // index of each tree's first node
    private readonly int[] _leafBase;      // index of each tree's first leaf value
    private readonly int[] _feature;
    private readonly float[] _threshold;
    private readonly int[] _left;          // child node (>= 0, relative to the tree) or ~leaf
    private readonly int[] _right;
    private readonly float[] _leaf;
    private readonly float _bias;

    /// <summary>Creates an ensemble over <paramref name="schema"/> from its trees and bias.</summary>
    public TreeEnsembleRanker(FeatureSchema schema, IReadOnlyList<Tree> trees, double bias)
    {
        Schema = Guard.NotNull(schema);
        Guard.NotNull(trees);
        Trees = trees;
        _bias = (float)bias;
        _treeRoot = new int[trees.Count];
        _leafBase = new int[trees.Count];
        var nodes = 0;
        var leaves = 0;
        for (var t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            tree.Validate(schema.Count, t);
            _treeRoot[t] = nodes;
            _leafBase[t] = leaves;
            nodes += tree.Feature.Length;
            leaves += tree.Leaf.Length;
        }
        _feature = new int[nodes];
        _threshold = new float[nodes];
        _left = new int[nodes];
        _right = new int[nodes];
        _leaf = new float[leaves];
        for (var t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            tree.Feature.CopyTo(_feature, _treeRoot[t]);
            tree.Threshold.CopyTo(_threshold, _treeRoot[t]);
            tree.Left.CopyTo(_left, _treeRoot[t]);
            tree.Right.CopyTo(_right, _treeRoot[t]);
            for (var l = 0; l < tree.Leaf.Length; l++) _leaf[_leafBase[t] + l] = (float)(tree.Leaf[l] * tree.Weight);
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
            for (var i = 0; i < n; i++)
            {
                if ((uint)Feature[i] >= (uint)features) throw new InvalidDataException($"Tree {index}, node {i}: feature {Feature[i]} is outside the schema's {features} features.");
                if (Left[i] >= n || Right[i] >= n || ~Left[i] > n || ~Right[i] > n) throw new InvalidDataException($"Tree {index}, node {i}: child out of range.");
            }
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
        Span<float> row = stackalloc float[stride];
        for (var r = 0; r < count; r++)
        {
            CopyRow(features.Slice(r * stride, stride), row);
            var sum = _bias;
            for (var t = 0; t < _treeRoot.Length; t++) sum += _leaf[_leafBase[t] + LeafOf(t, row, 0)];
            scores[r] = sum;
        }
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
        for (var t = 0; t < _treeRoot.Length; t++)
        {
            var root = _treeRoot[t];
            if (NodeCount(t) == 0)
            {
                rest += _leaf[_leafBase[t]]; // a single-leaf tree explains nothing
                continue;
            }
            var leafValue = _leaf[_leafBase[t] + LeafOf(t, x, 0)];
            var node = 0;
            while (node >= 0)
            {
                var f = _feature[root + node];
                var goLeft = x[f] <= _threshold[root + node];
                var taken = goLeft ? _left[root + node] : _right[root + node];
                var other = goLeft ? _right[root + node] : _left[root + node];
                var otherLeaf = other < 0 ? ~other : LeafOf(t, x, other);
                contributions[f] += leafValue - _leaf[_leafBase[t] + otherLeaf];
                node = taken;
            }
            rest += leafValue;
        }
        // Contributions are differences, not a partition: report the remainder so that the parts add up.
        float explained = 0;
        for (var i = 0; i < stride; i++) explained += contributions[i];
        return rest - explained;
    }

    private int LeafOf(int tree, ReadOnlySpan<float> x, int node)
    {
        var root = _treeRoot[tree];
        if (NodeCount(tree) == 0) return 0;
        while (node >= 0)
        {
            var i = root + node;
            node = x[_feature[i]] <= _threshold[i] ? _left[i] : _right[i];
        }
        return ~node;
    }

    private int NodeCount(int tree) => (tree + 1 < _treeRoot.Length ? _treeRoot[tree + 1] : _feature.Length) - _treeRoot[tree];

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
