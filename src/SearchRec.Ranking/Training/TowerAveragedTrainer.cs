using System.Globalization;
using SearchRec.Core;
using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;

namespace SearchRec.Ranking.Training;

/// <summary>
/// Trains <see cref="TowerAveragedRanker"/> from data whose schema holds per-tower deep columns
/// (<see cref="TowerDeepFeatures"/>): member k is LambdaMART on <see cref="MemberView"/> k (the shared columns and
/// tower k's, under the single-tower names, so exactly the data a single-tower LambdaMART with that tower sees), its
/// split features then remapped into the combined schema.
/// </summary>
public static class TowerAveragedTrainer
{
    /// <summary>
    /// Member <paramref name="member"/>'s (0-based) view of <paramref name="data"/>: every column except the other
    /// towers' deep columns, in schema order, tower <c>member + 1</c>'s renamed to the single-tower names; the same
    /// groups, labels and weights. Throws when the schema has no such tower.
    /// </summary>
    public static RankingDataset MemberView(RankingDataset data, int member)
    {
        Guard.NotNull(data);
        var (schema, columns) = MemberSchema(data.Schema, member);
        var dim = data.Schema.Count;
        var width = columns.Length;
        var b = new RankingDatasetBuilder(schema);
        foreach (var g in data.Groups)
        {
            var rows = new float[g.Count * width];
            for (var r = 0; r < g.Count; r++)
            {
                var src = data.Features.AsSpan((g.Start + r) * dim, dim);
                for (var c = 0; c < width; c++) rows[r * width + c] = src[columns[c]];
            }
            b.Add(g.QueryId, rows, data.Labels.AsSpan(g.Start, g.Count), data.Items.AsSpan(g.Start, g.Count), g.Judgments, g.Weight, g.Text);
        }
        return b.Build();
    }

    /// <summary>
    /// The single-tower schema of member <paramref name="member"/> (0-based) and, per column, its column in
    /// <paramref name="combined"/>.
    /// </summary>
    internal static (FeatureSchema Schema, int[] Columns) MemberSchema(FeatureSchema combined, int member)
    {
        var towers = TowerDeepFeatures.TowerCount(combined);
        if (towers == 0) throw new ArgumentException($"The feature schema {combined} has no per-tower deep columns (deep_query_item#1, ...); train with the towers of an ensemble.");
        if ((uint)member >= (uint)towers) throw new ArgumentOutOfRangeException(nameof(member), member, $"member must be below the schema's {towers} towers.");
        var names = new List<string>(combined.Count);
        var columns = new List<int>(combined.Count);
        for (var c = 0; c < combined.Count; c++)
        {
            var name = combined.Names[c];
            var (baseName, tower) = SplitTowerColumn(name);
            if (tower == 0)
            {
                names.Add(name);
                columns.Add(c);
            }
            else if (tower == member + 1)
            {
                names.Add(baseName);
                columns.Add(c);
            }
        }
        return (new FeatureSchema(names, combined.Version), [.. columns]);
    }

    // ("deep_query_item", 2) for "deep_query_item#2"; (name, 0) for a column that is not per tower.
    private static (string Name, int Tower) SplitTowerColumn(string name)
    {
        var hash = name.LastIndexOf('#');
        if (hash <= 0 || !int.TryParse(name.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var tower) || tower < 1) return (name, 0);
        var baseName = name[..hash];
        return Array.IndexOf(TowerDeepFeatures.TextNames, baseName) >= 0 || baseName == TowerTermFeatures.BaseName ? (baseName, tower) : (name, 0);
    }

    /// <summary>
    /// Trains one LambdaMART per tower of <paramref name="data"/>'s schema with <paramref name="options"/> and returns
    /// the averaged model and the members' gain importance averaged (per combined column).
    /// <paramref name="towers"/> describes the towers (one per member, in order).
    /// </summary>
    public static (TowerAveragedRanker Model, double[] Importance) Train(RankingDataset data, LambdaMartOptions options, IReadOnlyList<TowerInfo> towers,
        Action<string>? progress = null)
    {
        Guard.NotNull(data);
        Guard.NotNull(options).Validate();
        Guard.NotNull(towers);
        var k = TowerDeepFeatures.TowerCount(data.Schema);
        if (k == 0) throw new ArgumentException($"lambdamart-towers needs the deep columns of each tower (deep_query_item#1, ...); the data's schema {data.Schema} has none. Give --deep a folder whose {Deep.Scoring.DenseModels.EnsembleFile} names the towers.");
        if (towers.Count != k) throw new ArgumentException($"{towers.Count} tower descriptions for the schema's {k} towers.", nameof(towers));
        var members = new TreeEnsembleRanker[k];
        var importance = new double[data.Schema.Count];
        for (var m = 0; m < k; m++)
        {
            var (model, gain) = TrainMember(data, options, m);
            members[m] = model;
            for (var f = 0; f < gain.Length; f++) importance[f] += gain[f] / k;
            progress?.Invoke($"lambdamart-towers: member {m + 1}/{k} ({towers[m].Name}) trained");
        }
        return (new TowerAveragedRanker(data.Schema, members, towers), importance);
    }

    /// <summary>
    /// Member <paramref name="member"/>'s (0-based) LambdaMART alone, trained on its view and reading the combined
    /// schema (the single-tower model of that tower), with its gain importance per combined column.
    /// </summary>
    internal static (TreeEnsembleRanker Model, double[] Importance) TrainMember(RankingDataset data, LambdaMartOptions options, int member)
    {
        var (_, columns) = MemberSchema(data.Schema, member);
        var (model, gain) = LambdaMartTrainer.Train(MemberView(data, member), options);
        var importance = new double[data.Schema.Count];
        for (var f = 0; f < gain.Length; f++) importance[columns[f]] = gain[f];
        return (Remap(model, data.Schema, columns), importance);
    }

    /// <summary>The same trees reading <paramref name="combined"/>: split feature f becomes <c>columns[f]</c>.</summary>
    internal static TreeEnsembleRanker Remap(TreeEnsembleRanker member, FeatureSchema combined, int[] columns)
    {
        var trees = new TreeEnsembleRanker.Tree[member.Trees.Count];
        for (var t = 0; t < trees.Length; t++)
        {
            var tree = member.Trees[t];
            var feature = new int[tree.Feature.Length];
            for (var i = 0; i < feature.Length; i++) feature[i] = columns[tree.Feature[i]];
            trees[t] = tree with { Feature = feature };
        }
        return new TreeEnsembleRanker(combined, trees, member.Bias);
    }
}
