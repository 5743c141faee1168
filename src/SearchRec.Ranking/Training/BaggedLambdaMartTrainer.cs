using SearchRec.Core;
using SearchRec.Ranking.Models;

namespace SearchRec.Ranking.Training;

/// <summary>Query-bagged LambdaMART options. Validate with <see cref="Validate"/>.</summary>
public sealed class BaggedLambdaMartOptions
{
    /// <summary>Number of members. Default 10.</summary>
    public int Members { get; set; } = 10;

    /// <summary>
    /// Each member's LambdaMART settings (its seed is replaced per member). Default 100 trees, 16 leaves, learning
    /// rate 0.1, 20 rows per leaf: ten 300-tree members would cost ten times the serving time of one model.
    /// </summary>
    public LambdaMartOptions Member { get; set; } = new() { Trees = 100, LearningRate = 0.1 };

    /// <summary>Seed of the bootstrap draws and of the members' seeds. Default 7.</summary>
    public int Seed { get; set; } = 7;

    /// <summary>Throws naming the first bad field.</summary>
    public BaggedLambdaMartOptions Validate()
    {
        Guard.Positive(Members, "BaggedLambdaMartOptions.Members");
        Guard.NotNull(Member, "BaggedLambdaMartOptions.Member").Validate();
        return this;
    }

    /// <summary>The options as text, for the model card.</summary>
    public IEnumerable<KeyValuePair<string, string>> Describe() =>
        new[] { new KeyValuePair<string, string>("bag_members", Members.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new KeyValuePair<string, string>("bag_seed", Seed.ToString(System.Globalization.CultureInfo.InvariantCulture)) }
            .Concat(Member.Describe().Where(kv => kv.Key != "seed").Select(kv => new KeyValuePair<string, string>("member_" + kv.Key, kv.Value)));
}

/// <summary>
/// Trains <see cref="BaggedRanker"/>: member <c>b</c> is LambdaMART on as many query groups as the data has, drawn
/// with replacement (a group drawn twice counts twice), with its own tree seed; scores are averaged raw.
/// Deterministic for a seed.
/// </summary>
public static class BaggedLambdaMartTrainer
{
    /// <summary>Trains the bag; importance is the members' gain importance averaged.</summary>
    public static (BaggedRanker Model, double[] Importance) Train(RankingDataset data, BaggedLambdaMartOptions options, IProgress<string>? progress = null)
    {
        Guard.NotNull(data);
        Guard.NotNull(options).Validate();
        var n = data.Groups.Count;
        if (n == 0) throw new ArgumentException("No query groups to train on.", nameof(data));
        var members = new TreeEnsembleRanker[options.Members];
        var info = new BagMemberInfo[options.Members];
        var importance = new double[data.Schema.Count];
        for (var b = 0; b < options.Members; b++)
        {
            var draw = Draw(n, options.Seed, b);
            var memberSeed = unchecked(options.Seed * 1_000 + b + 1);
            var o = Copy(options.Member, memberSeed);
            var (model, gain) = LambdaMartTrainer.Train(data.Subset(draw), o);
            members[b] = model;
            info[b] = new BagMemberInfo(memberSeed, draw.Length, draw.Distinct().Count(), o.Trees);
            for (var i = 0; i < importance.Length; i++) importance[i] += gain[i] / options.Members;
            progress?.Report($"bag member {b + 1}/{options.Members}: {info[b].DistinctQueries} distinct of {n} queries");
        }
        return (new BaggedRanker(data.Schema, members, info), importance);
    }

    /// <summary>The bootstrap sample of member <paramref name="member"/>: <paramref name="groups"/> group indexes drawn with replacement, sorted.</summary>
    internal static int[] Draw(int groups, int seed, int member)
    {
        var rng = new Random(unchecked(seed * 7_919 + member * 104_729 + 17)); // not HashCode: it is salted per process
        var draw = new int[groups];
        for (var i = 0; i < groups; i++) draw[i] = rng.Next(groups);
        Array.Sort(draw);
        return draw;
    }

    private static LambdaMartOptions Copy(LambdaMartOptions o, int seed) => new()
    {
        Engine = o.Engine, Trees = o.Trees, Leaves = o.Leaves, MinRowsPerLeaf = o.MinRowsPerLeaf, LearningRate = o.LearningRate,
        FeatureFraction = o.FeatureFraction, NdcgTruncation = o.NdcgTruncation, Seed = seed,
    };
}
