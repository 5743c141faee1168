using SearchRec.Core.Events;

namespace SearchRec.Collab.Models;

/// <summary>Training parameters of the collaborative models. Call <see cref="Validate"/> before use (Train does).</summary>
public sealed class CollabOptions
{
    /// <summary>Weight of a page view. Default 1.</summary>
    public float WeightView { get; set; } = 1f;
    /// <summary>Weight of a favourite. Default 2.</summary>
    public float WeightFavorite { get; set; } = 2f;
    /// <summary>Weight of an add-to-cart. Default 3.</summary>
    public float WeightCart { get; set; } = 3f;
    /// <summary>Weight of a purchase. Default 4.</summary>
    public float WeightBuy { get; set; } = 4f;

    /// <summary>Half-life of popularity, in days. Default 2.</summary>
    public double PopularityHalfLifeDays { get; set; } = 2;
    /// <summary>Half-life of a user's own events (repeat, profiles), in days. Default 1.</summary>
    public double HistoryHalfLifeDays { get; set; } = 1;
    /// <summary>Half-life of co-occurrence evidence in the item-to-item model, in days. Default 7.</summary>
    public double CoOccurrenceHalfLifeDays { get; set; } = 7;

    /// <summary>Co-occurrence window: events at most this many steps apart in a user's sequence. Default 5.</summary>
    public int CoOccurrenceSteps { get; set; } = 5;
    /// <summary>Co-occurrence window: events at most this many seconds apart. Default 86400 (one day).</summary>
    public long CoOccurrenceSeconds { get; set; } = 86_400;
    /// <summary>Neighbours kept per item. Default 50.</summary>
    public int Neighbours { get; set; } = 50;

    /// <summary>ALS latent factors. Default 64.</summary>
    public int Factors { get; set; } = 64;
    /// <summary>ALS iterations (each solves users then items). Default 10.</summary>
    public int AlsIterations { get; set; } = 10;
    /// <summary>ALS conjugate-gradient steps per row. Default 3.</summary>
    public int CgSteps { get; set; } = 3;
    /// <summary>ALS L2 regularisation. Default 0.1.</summary>
    public float Regularization { get; set; } = 0.1f;
    /// <summary>ALS confidence scale: confidence = 1 + Alpha × weight. Default 10.</summary>
    public float Alpha { get; set; } = 10f;
    /// <summary>Seed of the ALS initialisation. Default 42.</summary>
    public int Seed { get; set; } = 42;
    /// <summary>Skip ALS (faster training when only the counting models are wanted). Default false.</summary>
    public bool SkipAls { get; set; }

    /// <summary>Worker threads. Default: all cores.</summary>
    public int Threads { get; set; } = Environment.ProcessorCount;

    /// <summary>Blend weight of the repeat part. Default 1.</summary>
    public float BlendRepeat { get; set; } = 1f;
    /// <summary>Blend weight of the item-item part. Default 0.05.</summary>
    public float BlendItemItem { get; set; } = 0.05f;
    /// <summary>Blend weight of the ALS part. Default 0.9.</summary>
    public float BlendAls { get; set; } = 0.9f;
    /// <summary>Blend weight of the category part. Default 0.01.</summary>
    public float BlendCategory { get; set; } = 0.01f;
    /// <summary>Blend weight of the popularity part. Default 0.01.</summary>
    public float BlendPopularity { get; set; } = 0.01f;

    /// <summary>History events used per request (most recent). Default 200.</summary>
    public int MaxHistory { get; set; } = 200;

    /// <summary>The weight of a behaviour.</summary>
    public float Weight(Behavior b) => b switch
    {
        Behavior.Buy => WeightBuy,
        Behavior.Cart => WeightCart,
        Behavior.Favorite => WeightFavorite,
        _ => WeightView,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field.</summary>
    public CollabOptions Validate()
    {
        Positive(WeightView, nameof(WeightView));
        Positive(WeightFavorite, nameof(WeightFavorite));
        Positive(WeightCart, nameof(WeightCart));
        Positive(WeightBuy, nameof(WeightBuy));
        Positive(PopularityHalfLifeDays, nameof(PopularityHalfLifeDays));
        Positive(HistoryHalfLifeDays, nameof(HistoryHalfLifeDays));
        Positive(CoOccurrenceHalfLifeDays, nameof(CoOccurrenceHalfLifeDays));
        Positive(CoOccurrenceSteps, nameof(CoOccurrenceSteps));
        Positive(CoOccurrenceSeconds, nameof(CoOccurrenceSeconds));
        Positive(Neighbours, nameof(Neighbours));
        Positive(Factors, nameof(Factors));
        Positive(AlsIterations, nameof(AlsIterations));
        Positive(CgSteps, nameof(CgSteps));
        Positive(Regularization, nameof(Regularization));
        Positive(Alpha, nameof(Alpha));
        Positive(Threads, nameof(Threads));
        Positive(MaxHistory, nameof(MaxHistory));
        NonNegative(BlendRepeat, nameof(BlendRepeat));
        NonNegative(BlendItemItem, nameof(BlendItemItem));
        NonNegative(BlendAls, nameof(BlendAls));
        NonNegative(BlendCategory, nameof(BlendCategory));
        NonNegative(BlendPopularity, nameof(BlendPopularity));
        // Upper bounds: past them a model no longer fits in memory, or an array size overflows.
        AtMost(Factors, 1024, nameof(Factors));
        AtMost(Neighbours, 10_000, nameof(Neighbours));
        AtMost(AlsIterations, 1_000, nameof(AlsIterations));
        AtMost(CgSteps, 100, nameof(CgSteps));
        AtMost(Threads, 1_024, nameof(Threads));
        if (BlendRepeat + BlendItemItem + BlendAls + BlendCategory + BlendPopularity <= 0)
            throw new ArgumentException("CollabOptions.BlendRepeat, BlendItemItem, BlendAls, BlendCategory and BlendPopularity are all 0: give at least one blend weight above 0.", nameof(BlendRepeat));
        return this;
    }

    private static void AtMost(int value, int max, string name)
    {
        if (value > max) throw new ArgumentException($"CollabOptions.{name} must be at most {max:N0} (was {value:N0}).", name);
    }

    private static void NonNegative(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentException($"CollabOptions.{name} must be a finite number >= 0 (was {value}).", name);
    }

    private static void Positive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentException($"CollabOptions.{name} must be a positive finite number (was {value}).", name);
    }
}
