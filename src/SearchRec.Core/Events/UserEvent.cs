namespace SearchRec.Core.Events;

/// <summary>One behaviour event: <c>user_id,item_id,category_id,behavior,timestamp</c>.</summary>
/// <param name="UserId">The user (non-negative).</param>
/// <param name="ItemId">The item (non-negative); equals the catalog's numeric product id where both exist.</param>
/// <param name="CategoryId">The item's leaf category id (non-negative).</param>
/// <param name="Behavior">What the user did.</param>
/// <param name="Timestamp">Unix seconds.</param>
public readonly record struct UserEvent(long UserId, long ItemId, long CategoryId, Behavior Behavior, long Timestamp)
{
    /// <summary>Formats the event as one CSV line of the Taobao format (no newline).</summary>
    public override string ToString() => $"{UserId},{ItemId},{CategoryId},{Behavior.ToWord()},{Timestamp}";
}
