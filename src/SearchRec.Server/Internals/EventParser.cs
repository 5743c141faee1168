using System.Globalization;
using System.Text.Json;
using SearchRec.Core.Events;

namespace SearchRec.Server.Internals;

/// <summary>
/// Reads <c>POST /events</c> bodies: one event object, an array of them, or <c>{"events": [...]}</c>. Every row is
/// checked (fields, types, ranges, known item) and every problem is reported with its row and field.
/// </summary>
internal static class EventParser
{
    private const int MaxReported = 20;

    public sealed record Result(List<UserEvent> Events, List<string> Errors);

    public static Result Parse(JsonDocument doc, ICatalog catalog, int maxEvents, long nowSeconds)
    {
        var events = new List<UserEvent>();
        var errors = new List<string>();
        var root = doc.RootElement;
        JsonElement rows;
        bool single = false;
        string prefix = "events";
        if (root.ValueKind == JsonValueKind.Array) rows = root;
        else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("events", out var inner))
        {
            int wrappers = 0;
            foreach (var p in root.EnumerateObject())
            {
                if (p.Name != "events") errors.Add($"unknown field '{p.Name}' next to 'events' (only 'events' is allowed there)");
                else if (++wrappers == 2) errors.Add("events: given more than once (send one 'events' array)");
            }
            if (wrappers > 1) return new Result(events, errors);
            if (inner.ValueKind != JsonValueKind.Array)
            {
                errors.Add($"'events' must be an array of event objects, not {Kind(inner)}");
                return new Result(events, errors);
            }
            rows = inner;
        }
        else if (root.ValueKind == JsonValueKind.Object) { rows = root; single = true; prefix = "event"; }
        else
        {
            errors.Add($"the body must be an event object, an array of events or {{\"events\": [...]}}, not {Kind(root)}");
            return new Result(events, errors);
        }

        if (single)
        {
            if (TryRow(rows, prefix, catalog, nowSeconds, errors, out var e)) events.Add(e);
            return new Result(events, errors);
        }
        int n = rows.GetArrayLength();
        if (n == 0) { errors.Add("the batch is empty: send at least one event"); return new Result(events, errors); }
        if (n > maxEvents)
        {
            errors.Add($"the batch has {n} events; at most {maxEvents} are accepted per request");
            return new Result(events, errors);
        }
        int i = 0;
        foreach (var row in rows.EnumerateArray())
        {
            if (TryRow(row, $"{prefix}[{i}]", catalog, nowSeconds, errors, out var e)) events.Add(e);
            i++;
        }
        return new Result(events, errors);
    }

    private static bool TryRow(JsonElement row, string at, ICatalog catalog, long now, List<string> errors, out UserEvent ev)
    {
        ev = default;
        int before = errors.Count;
        if (row.ValueKind != JsonValueKind.Object)
        {
            Add(errors, $"{at}: must be an object with user, item and behavior, not {Kind(row)}");
            return false;
        }
        long? user = null, category = null, timestamp = null;
        string? item = null;
        Behavior? behavior = null;
        int seen = 0;
        foreach (var p in row.EnumerateObject())
        {
            // JSON parsers let the last of a repeated name win; an event with two users is a client's mistake, so it is named.
            int field = p.Name switch { "user" => 1, "item" => 2, "behavior" => 4, "category" => 8, "timestamp" => 16, _ => 0 };
            if ((seen & field) != 0)
            {
                Add(errors, $"{at}.{p.Name}: given more than once (each field may appear once)");
                continue;
            }
            seen |= field;
            switch (p.Name)
            {
                case "user":
                    user = NonNegativeInteger(p.Value, $"{at}.user", errors);
                    break;
                case "item":
                    if (p.Value.ValueKind == JsonValueKind.String) item = p.Value.GetString();
                    else if (p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out long num) && num >= 0)
                        item = num.ToString(CultureInfo.InvariantCulture);
                    else Add(errors, $"{at}.item: must be a product id (string or non-negative integer), not {Kind(p.Value)}");
                    break;
                case "behavior":
                    if (p.Value.ValueKind != JsonValueKind.String)
                        Add(errors, $"{at}.behavior: must be one of \"pv\", \"fav\", \"cart\", \"buy\", not {Kind(p.Value)}");
                    else if (BehaviorNames.TryParse(p.Value.GetString(), out var b)) behavior = b;
                    else Add(errors, $"{at}.behavior: '{Clip(p.Value.GetString())}' is not one of pv, fav, cart, buy");
                    break;
                case "category":
                    category = NonNegativeInteger(p.Value, $"{at}.category", errors);
                    break;
                case "timestamp":
                    if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt64(out long ts))
                        Add(errors, $"{at}.timestamp: must be a non-negative integer (Unix seconds), not {Kind(p.Value)}");
                    else if (EventTimestamps.Problem(ts, now) is { } problem) Add(errors, $"{at}.timestamp: {problem}");
                    else timestamp = ts;
                    break;
                default:
                    Add(errors, $"{at}: unknown field '{Clip(p.Name)}' (allowed: user, item, behavior, category, timestamp)");
                    break;
            }
        }
        if (user is null && !HasField(row, "user")) Add(errors, $"{at}.user: missing (a non-negative integer user id)");
        if (item is null && !HasField(row, "item")) Add(errors, $"{at}.item: missing (a product id)");
        if (behavior is null && !HasField(row, "behavior")) Add(errors, $"{at}.behavior: missing (pv, fav, cart or buy)");
        long cat = 0;
        if (item is not null)
        {
            if (!long.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out long itemId))
                Add(errors, $"{at}.item: '{Clip(item)}' is not a numeric product id");
            else if (catalog.Get(item) is { } product) cat = category ?? catalog.CategoryIdOf(product);
            // Removed, with behaviour on record; only as the number is written ("03" and "3\0", which parse as 3, are no id).
            else if (catalog.FormerCategoryOf(itemId) is { } former && item == itemId.ToString(CultureInfo.InvariantCulture)) cat = category ?? former;
            else Add(errors, $"{at}.item: unknown product id '{Clip(item)}'");
        }
        if (errors.Count > before || user is null || item is null || behavior is null) return false;
        ev = new UserEvent(user.Value, long.Parse(item, CultureInfo.InvariantCulture), cat, behavior.Value, timestamp ?? now);
        return true;
    }

    private static long? NonNegativeInteger(JsonElement v, string at, List<string> errors)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long x) && x >= 0) return x;
        Add(errors, $"{at}: must be a non-negative integer, not {Kind(v)}");
        return null;
    }

    private static bool HasField(JsonElement row, string name) => row.TryGetProperty(name, out _);

    internal static void Add(List<string> errors, string message)
    {
        if (errors.Count < MaxReported) errors.Add(message);
        else if (errors.Count == MaxReported) errors.Add("... more problems not shown");
    }

    internal static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Clip(v.GetString())}\"",
        JsonValueKind.Number => $"the number {Clip(v.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {v.GetRawText()}",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => v.ValueKind.ToString(),
    };

    private static string Clip(string? s) => s is null ? "" : QueryParams.Clip(s);
}
