using System.Globalization;
using System.Text;

namespace SearchRec.Core.Events;

/// <summary>
/// Streaming reader of the Taobao event format <c>user_id,item_id,category_id,behavior,timestamp</c> (no header;
/// a first line starting with <c>user_id</c> is taken as a header and skipped). Bad lines are reported with
/// their line number and reason and skipped; every other line is returned. A last line without a trailing
/// newline that fails to parse is reported as truncated.
/// </summary>
public static class EventCsvReader
{
    /// <summary>Reads a file; problems go to <paramref name="onProblem"/> as they are found.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="onProblem">Called once per rejected line.</param>
    public static IEnumerable<UserEvent> ReadFile(string path, Action<ImportProblem> onProblem) => ReadFile(path, onProblem, storedAt: null);

    /// <summary>
    /// Reads a file for the event store: besides the format, each timestamp must pass <see cref="EventTimestamps"/>
    /// at <paramref name="storedAt"/> (the rule <c>POST /events</c> applies); a line that fails is reported and skipped.
    /// </summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="onProblem">Called once per rejected line.</param>
    /// <param name="storedAt">The clock (Unix seconds) the timestamps are checked against; null checks only the format.</param>
    public static IEnumerable<UserEvent> ReadFile(string path, Action<ImportProblem> onProblem, long? storedAt)
    {
        Guard.NotNull(path);
        Guard.NotNull(onProblem);
        TextFiles.CheckUtf8(path);
        return ReadFileIterator(path, onProblem, storedAt);
    }

    private static IEnumerable<UserEvent> ReadFileIterator(string path, Action<ImportProblem> onProblem, long? storedAt)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        // The path as given, as the catalog and judgment readers name theirs: the bare file name could not tell
        // day1/events.csv from day2/events.csv.
        foreach (var e in ReadIterator(reader, path, onProblem, storedAt)) yield return e;
    }

    /// <summary>Reads events from a text reader; problems go to <paramref name="onProblem"/> as they are found.</summary>
    /// <param name="reader">The text source; not disposed.</param>
    /// <param name="fileName">The name used in problem reports.</param>
    /// <param name="onProblem">Called once per rejected line.</param>
    public static IEnumerable<UserEvent> Read(TextReader reader, string fileName, Action<ImportProblem> onProblem)
    {
        Guard.NotNull(reader);
        Guard.NotNull(fileName);
        Guard.NotNull(onProblem);
        return ReadIterator(reader, fileName, onProblem, storedAt: null);
    }

    private static IEnumerable<UserEvent> ReadIterator(TextReader reader, string fileName, Action<ImportProblem> onProblem, long? storedAt)
    {
        var buffer = new char[1 << 16];
        var line = new char[256];
        int lineLength = 0;
        long lineNo = 0;
        int read;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            int start = 0;
            for (int i = 0; i < read; i++)
            {
                if (buffer[i] != '\n') continue;
                Append(ref line, ref lineLength, buffer.AsSpan(start, i - start));
                start = i + 1;
                lineNo++;
                if (Handle(line.AsSpan(0, lineLength), lineNo, complete: true, fileName, onProblem, storedAt, out var ev)) yield return ev;
                lineLength = 0;
            }
            Append(ref line, ref lineLength, buffer.AsSpan(start, read - start));
        }
        if (lineLength > 0)
        {
            lineNo++;
            if (Handle(line.AsSpan(0, lineLength), lineNo, complete: false, fileName, onProblem, storedAt, out var ev)) yield return ev;
        }
    }

    private static void Append(ref char[] line, ref int length, ReadOnlySpan<char> part)
    {
        if (part.IsEmpty) return;
        if (length + part.Length > line.Length) Array.Resize(ref line, Math.Max(line.Length * 2, length + part.Length));
        part.CopyTo(line.AsSpan(length));
        length += part.Length;
    }

    private static bool Handle(ReadOnlySpan<char> line, long lineNo, bool complete, string fileName, Action<ImportProblem> onProblem, long? storedAt, out UserEvent ev)
    {
        if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
        if (TryParseLine(line, out ev, out var reason))
        {
            if (storedAt is not { } now || EventTimestamps.Problem(ev.Timestamp, now) is not { } problem) return true;
            onProblem(new ImportProblem(fileName, lineNo, "timestamp: " + problem));
            return false;
        }
        if (lineNo == 1 && line.StartsWith("user_id", StringComparison.Ordinal)) return false;
        onProblem(new ImportProblem(fileName, lineNo, complete ? reason : "truncated last line (no newline): " + reason));
        return false;
    }

    /// <summary>Parses one line (without its newline).</summary>
    /// <param name="line">The line.</param>
    /// <param name="ev">The event when the line is valid.</param>
    /// <param name="reason">Why the line is rejected, naming the field; empty when valid.</param>
    public static bool TryParseLine(ReadOnlySpan<char> line, out UserEvent ev, out string reason)
    {
        ev = default;
        if (line.IsWhiteSpace()) { reason = "blank line"; return false; }
        Span<Range> parts = stackalloc Range[6];
        int n = line.Split(parts, ',');
        if (n != 5) { reason = $"expected 5 comma-separated fields (user_id,item_id,category_id,behavior,timestamp), found {(n == 6 ? "more than 5" : n.ToString(CultureInfo.InvariantCulture))}"; return false; }
        if (!TryId(line[parts[0]], "user_id", out var user, out reason)) return false;
        if (!TryId(line[parts[1]], "item_id", out var item, out reason)) return false;
        if (!TryId(line[parts[2]], "category_id", out var cat, out reason)) return false;
        var word = line[parts[3]].Trim();
        if (!BehaviorNames.TryParse(word, out var behavior))
        {
            reason = $"behavior: unknown word '{word.ToString()}' (expected pv, fav, cart or buy)";
            return false;
        }
        var tsText = line[parts[4]].Trim();
        if (!long.TryParse(tsText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ts))
        {
            reason = $"timestamp: '{tsText.ToString()}' is not a whole number of Unix seconds";
            return false;
        }
        ev = new UserEvent(user, item, cat, behavior, ts);
        reason = string.Empty;
        return true;
    }

    private static bool TryId(ReadOnlySpan<char> text, string field, out long value, out string reason)
    {
        text = text.Trim();
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            reason = text.IsEmpty ? $"{field}: empty" : $"{field}: '{text.ToString()}' is not a whole number";
            return false;
        }
        if (value < 0)
        {
            reason = $"{field}: {value} is negative";
            return false;
        }
        reason = string.Empty;
        return true;
    }
}
