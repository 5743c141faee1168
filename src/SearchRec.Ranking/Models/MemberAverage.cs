using System.Buffers;
using System.Numerics.Tensors;

namespace SearchRec.Ranking.Models;

/// <summary>The mean of several tree ensembles over one feature matrix: scores and explanations (bags, tower averages).</summary>
internal static class MemberAverage
{
    /// <summary>Writes the members' mean raw score per row into <paramref name="scores"/>.</summary>
    internal static void Score(TreeEnsembleRanker[] members, int stride, ReadOnlySpan<float> features, int count, Span<float> scores)
    {
        TreeEnsembleRanker.CheckSizes(features, count, scores.Length, stride);
        var buffer = ArrayPool<float>.Shared.Rent(Math.Max(1, count));
        try
        {
            var part = buffer.AsSpan(0, count);
            var sum = scores[..count];
            members[0].Score(features, count, sum);
            for (var m = 1; m < members.Length; m++)
            {
                members[m].Score(features, count, part);
                TensorPrimitives.Add(sum, part, sum);
            }
            // Divided, not multiplied by 1/K: the same floats as summing the members' scores and dividing by K.
            if (members.Length > 1) TensorPrimitives.Divide(sum, members.Length, sum);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>The members' contributions and remainders averaged, so the parts still add up to the score.</summary>
    internal static float Explain(TreeEnsembleRanker[] members, int stride, ReadOnlySpan<float> features, int count, int row, Span<float> contributions)
    {
        if (contributions.Length < stride) throw new ArgumentException($"contributions must hold {stride} values.", nameof(contributions));
        var target = contributions[..stride];
        target.Clear();
        var part = ArrayPool<float>.Shared.Rent(stride);
        try
        {
            float rest = 0;
            foreach (var m in members)
            {
                rest += m.Explain(features, count, row, part);
                TensorPrimitives.Add(target, part.AsSpan(0, stride), target);
            }
            TensorPrimitives.Divide(target, members.Length, target);
            return rest / members.Length;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(part);
        }
    }
}
