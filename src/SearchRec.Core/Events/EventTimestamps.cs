using System.Globalization;

namespace SearchRec.Core.Events;

/// <summary>
/// Which event timestamps go into the event store: Unix seconds, not negative, and at most a day past the clock
/// (a larger number is milliseconds or a broken row, and would sort after every real event). <c>POST /events</c>
/// and <c>import-events</c> apply this one rule, so the store holds the same events whichever way they came.
/// </summary>
public static class EventTimestamps
{
    /// <summary>How far past the clock a timestamp may lie: room for clients whose clocks run ahead.</summary>
    public const long MaxAheadSeconds = 86_400;

    /// <summary>Why <paramref name="timestamp"/> is refused, or null when it is accepted.</summary>
    /// <param name="timestamp">The event's time, meant as Unix seconds.</param>
    /// <param name="nowSeconds">The clock, Unix seconds.</param>
    public static string? Problem(long timestamp, long nowSeconds)
    {
        if (timestamp < 0) return string.Create(CultureInfo.InvariantCulture, $"{timestamp} is negative (Unix seconds expected)");
        if (timestamp > nowSeconds + MaxAheadSeconds)
            return string.Create(CultureInfo.InvariantCulture, $"{timestamp} is more than a day in the future (Unix seconds expected)");
        return null;
    }
}
