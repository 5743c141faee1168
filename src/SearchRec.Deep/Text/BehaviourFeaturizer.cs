using SearchRec.Core;
using SearchRec.Core.Events;

namespace SearchRec.Deep.Text;

/// <summary>
/// Builds the behaviour towers' inputs. Ids share one space: 0 is padding, items hash to
/// <c>1 .. ItemBuckets−1</c> and categories to <c>ItemBuckets + (0 .. CategoryBuckets−1)</c>. The user bag holds the
/// item and the category of each of the last <see cref="BehaviourFeaturizerOptions.HistoryLength"/> events, weighted by
/// recency (<c>0.5^(age / HalfLife)</c>, age 0 = latest) times intent (view 1, favourite 2, cart 2, buy 3).
/// The item bag is the item id and its category with weight 1. Thread-safe.
/// </summary>
public sealed class BehaviourFeaturizer
{
    private static readonly float[] Intent = [1f, 2f, 2f, 3f];

    /// <summary>Creates a featurizer.</summary>
    public BehaviourFeaturizer(BehaviourFeaturizerOptions options)
    {
        Guard.NotNull(options);
        options.Validate();
        Options = options;
    }

    /// <summary>The options.</summary>
    public BehaviourFeaturizerOptions Options { get; }

    /// <summary>Size of the id space (the towers' embedding rows).</summary>
    public int Vocab => Options.ItemBuckets + Options.CategoryBuckets;

    /// <summary>Longest user bag: two ids per history event.</summary>
    public int MaxUserIds => 2 * Options.HistoryLength;

    /// <summary>Writes the user bag for a history (oldest first) and returns its length.</summary>
    public int UserBag(ReadOnlySpan<UserEvent> historyOldestFirst, Span<long> ids, Span<float> weights)
    {
        var n = 0;
        var age = 0;
        for (var i = historyOldestFirst.Length - 1; i >= 0 && age < Options.HistoryLength && n + 2 <= ids.Length; i--, age++)
        {
            var e = historyOldestFirst[i];
            var w = MathF.Pow(0.5f, age / Options.HalfLife) * Intent[Math.Clamp((int)e.Behavior, 0, 3)];
            ids[n] = ItemId(e.ItemId); weights[n++] = w;
            ids[n] = CategoryId(e.CategoryId); weights[n++] = w;
        }
        return n;
    }

    /// <summary>Writes the two-id item bag.</summary>
    public void ItemBag(long itemId, long categoryId, Span<long> ids, Span<float> weights)
    {
        ids[0] = ItemId(itemId); weights[0] = 1f;
        ids[1] = CategoryId(categoryId); weights[1] = 1f;
    }

    /// <summary>The bucket of an item id.</summary>
    public long ItemId(long item) => 1 + (long)(Mix((ulong)item) % (ulong)(Options.ItemBuckets - 1));

    /// <summary>The bucket of a category id.</summary>
    public long CategoryId(long category) => Options.ItemBuckets + (long)(Mix((ulong)category ^ 0x9E3779B97F4A7C15UL) % (ulong)Options.CategoryBuckets);

    // SplitMix64 finaliser: spreads sequential ids over the buckets.
    private static ulong Mix(ulong x)
    {
        unchecked
        {
            x += 0x9E3779B97F4A7C15UL;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            return x ^ (x >> 31);
        }
    }
}

/// <summary>Options of <see cref="BehaviourFeaturizer"/>; stored in the model manifest.</summary>
public sealed class BehaviourFeaturizerOptions
{
    /// <summary>Item hash buckets including padding 0. Default 131,072.</summary>
    public int ItemBuckets { get; set; } = 1 << 17;
    /// <summary>Category hash buckets. Default 8,192.</summary>
    public int CategoryBuckets { get; set; } = 1 << 13;
    /// <summary>History events read, most recent first. Default 50.</summary>
    public int HistoryLength { get; set; } = 50;
    /// <summary>Recency half-life in events. Default 10.</summary>
    public float HalfLife { get; set; } = 10f;

    /// <summary>Throws naming the first bad field.</summary>
    public void Validate()
    {
        if (ItemBuckets < 16) throw new ArgumentOutOfRangeException(nameof(ItemBuckets), ItemBuckets, "BehaviourFeaturizerOptions.ItemBuckets must be at least 16.");
        if (CategoryBuckets < 1) throw new ArgumentOutOfRangeException(nameof(CategoryBuckets), CategoryBuckets, "BehaviourFeaturizerOptions.CategoryBuckets must be positive.");
        if (HistoryLength < 1) throw new ArgumentOutOfRangeException(nameof(HistoryLength), HistoryLength, "BehaviourFeaturizerOptions.HistoryLength must be positive.");
        if (!(HalfLife > 0)) throw new ArgumentOutOfRangeException(nameof(HalfLife), HalfLife, "BehaviourFeaturizerOptions.HalfLife must be positive.");
    }
}
