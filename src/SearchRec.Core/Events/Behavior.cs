namespace SearchRec.Core.Events;

/// <summary>A user's action on an item. The numeric order is the strength of intent: pv &lt; fav &lt; cart &lt; buy.</summary>
public enum Behavior : byte
{
    /// <summary>A page view (<c>pv</c>).</summary>
    View = 0,
    /// <summary>Added to favourites (<c>fav</c>).</summary>
    Favorite = 1,
    /// <summary>Added to cart (<c>cart</c>).</summary>
    Cart = 2,
    /// <summary>Bought (<c>buy</c>).</summary>
    Buy = 3,
}

/// <summary>Conversions between <see cref="Behavior"/> and the words of the Taobao log format.</summary>
public static class BehaviorNames
{
    /// <summary>Parses <c>pv</c>, <c>fav</c>, <c>cart</c> or <c>buy</c> (ASCII, case-sensitive as in the log format).</summary>
    public static bool TryParse(ReadOnlySpan<char> word, out Behavior behavior)
    {
        switch (word)
        {
            case "pv": behavior = Behavior.View; return true;
            case "fav": behavior = Behavior.Favorite; return true;
            case "cart": behavior = Behavior.Cart; return true;
            case "buy": behavior = Behavior.Buy; return true;
            default: behavior = default; return false;
        }
    }

    /// <summary>The log-format word for a behaviour.</summary>
    public static string ToWord(this Behavior behavior) => behavior switch
    {
        Behavior.View => "pv",
        Behavior.Favorite => "fav",
        Behavior.Cart => "cart",
        Behavior.Buy => "buy",
        _ => throw new ArgumentOutOfRangeException(nameof(behavior), behavior, "Unknown behaviour."),
    };
}
