using System.Numerics.Tensors;

namespace SearchRec.Collab.Models;

/// <summary>
/// ALS item factors held in decreasing order of their norm, so that an exact top-k scan reads a contiguous prefix and
/// stops once |user|·|item| falls below the k-th score (Cauchy-Schwarz). Rows are looked up by model index through
/// <see cref="RowOf"/>; the file format keeps index order (<see cref="ToIndexOrder"/>).
/// </summary>
internal sealed class ItemFactorTable
{
    /// <summary>An empty table (no ALS).</summary>
    public static readonly ItemFactorTable Empty = new([], 0);

    /// <summary>Builds the table from factors in model-index order (<paramref name="byIndex"/> is not kept).</summary>
    public ItemFactorTable(float[] byIndex, int factors)
    {
        Factors = factors;
        int n = factors == 0 ? 0 : byIndex.Length / factors;
        var order = new int[n];
        var keys = new float[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
            float norm = TensorPrimitives.Norm(byIndex.AsSpan(i * factors, factors));
            // a NaN row goes first with an infinite bound, so a scan never stops before it (its scores are skipped)
            keys[i] = float.IsNaN(norm) ? float.NegativeInfinity : -norm;
        }
        Array.Sort(keys, order);
        Order = order;
        Norms = new float[n];
        RowOf = new int[n];
        Rows = new float[(long)n * factors];
        for (int r = 0; r < n; r++)
        {
            Norms[r] = float.IsNegativeInfinity(keys[r]) ? float.PositiveInfinity : -keys[r];
            RowOf[order[r]] = r;
            byIndex.AsSpan(order[r] * factors, factors).CopyTo(Rows.AsSpan(r * factors, factors));
        }
    }

    /// <summary>Factors per item.</summary>
    public int Factors { get; }

    /// <summary>Number of items.</summary>
    public int Count => Order.Length;

    /// <summary>The factor rows, in decreasing norm.</summary>
    public float[] Rows { get; }

    /// <summary>Row <c>r</c>'s model index.</summary>
    public int[] Order { get; }

    /// <summary>Row <c>r</c>'s norm (decreasing; +∞ for a row holding NaN).</summary>
    public float[] Norms { get; }

    /// <summary>A model index's row.</summary>
    public int[] RowOf { get; }

    /// <summary>The factors of the item with model index <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Of(int index) => Rows.AsSpan(RowOf[index] * Factors, Factors);

    /// <summary>The factors in model-index order, as saved.</summary>
    public float[] ToIndexOrder()
    {
        var result = new float[Rows.Length];
        for (int r = 0; r < Count; r++) Rows.AsSpan(r * Factors, Factors).CopyTo(result.AsSpan(Order[r] * Factors, Factors));
        return result;
    }
}
