using SearchRec.Core.Catalog;
using SearchRec.Core.Events;
using SearchRec.Evaluation.Recommendation;

namespace SearchRec.Cli.Commands;

/// <summary>Reads catalog files for commands, reporting bad lines (the first few, then a count).</summary>
internal static class CatalogFiles
{
    private const int Shown = 5;

    /// <summary>
    /// The products of <paramref name="files"/>. Logs the first rejected lines (file:line: reason) and the summary
    /// through <paramref name="log"/>; throws naming a file that does not exist, or the first bad line when no line
    /// could be read as a product.
    /// </summary>
    public static CatalogImport Read(IReadOnlyList<string> files, Action<string> log, string option = "--catalog")
    {
        var import = CatalogReader.ReadFiles(files);
        if (import.UnreadableFiles.Count > 0) throw new FileNotFoundException($"{option}: {import.UnreadableFiles[0]}: file not found", import.UnreadableFiles[0]);
        for (var i = 0; i < import.Problems.Count && i < Shown; i++) log($"rejected {import.Problems[i]}");
        if (import.Problems.Count > Shown) log($"... and {import.Problems.Count - Shown:N0} more rejected lines");
        if (import.Products.Count == 0)
            throw new InvalidDataException($"{option}: no product could be read ({import.Summary})" + (import.Problems.Count > 0 ? $"; first: {import.Problems[0]}" : "."));
        log($"catalog: {import.Summary}");
        return import;
    }
}

/// <summary>
/// Reads event files for commands: CSV (reporting bad lines on stderr, the first few of each file, then a count) or a
/// service's SQLite event store (<c>events.db</c>), told apart by the file's header.
/// </summary>
internal static class EventFiles
{
    public static List<UserEvent> Read(IEnumerable<string> paths)
    {
        var merge = new EventSourceMerge();
        var bad = 0;
        foreach (var path in paths)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"Event file not found: {path}", path);
            if (SearchRec.Collab.Events.SqliteEventStore.IsDatabase(path))
            {
                var stored = SearchRec.Collab.Events.SqliteEventStore.ReadFile(path);
                Console.Error.WriteLine($"{path}: {stored.Count:N0} events from the event store{Repeated(merge.Add(stored))}");
                continue;
            }
            int problems = 0;
            var read = new List<UserEvent>();
            foreach (var e in EventCsvReader.ReadFile(path, p => { if (problems++ < 10) Console.Error.WriteLine($"skipped {p}"); }))
            {
                read.Add(e);
                if ((merge.Events.Count + read.Count) % 1_000_000 == 0) Console.Error.WriteLine($"read {merge.Events.Count + read.Count:N0} events ...");
            }
            Console.Error.WriteLine($"{path}: {read.Count:N0} events, {problems} bad lines skipped{Repeated(merge.Add(read))}");
            bad += problems;
        }
        // Models trained on nothing would be saved as real, over the ones there.
        if (merge.Events.Count == 0)
            throw new InvalidDataException(bad > 0
                ? $"No event could be read from {string.Join(", ", paths)} ({bad:N0} bad lines): expected lines 'user_id,item_id,category_id,behavior,timestamp'."
                : $"No events in {string.Join(", ", paths)}: nothing to learn from or evaluate.");
        return merge.Events;

        static string Repeated(long n) => n > 0 ? $"; {n:N0} of them already read from an earlier file, left out" : "";
    }

    /// <summary>The user ids of a <c>--test-users-from</c> file, naming on stderr the first lines that are not one.</summary>
    public static HashSet<long> ReadUsers(string path, string option = "--test-users-from")
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{option}: {path}: file not found", path);
        var shown = 0;
        return SearchRec.Evaluation.Recommendation.RecEvaluator.ReadUserIds(path, line => { if (shown++ < 10) Console.Error.WriteLine(line); });
    }

    /// <summary>
    /// The eval-rec split at <paramref name="cut"/>, refused when it leaves nothing to train on or no test user with
    /// events after it: figures of zero would read as measured.
    /// </summary>
    public static RecSplit Split(List<UserEvent> all, long cut, HashSet<long> testUsers, string usersFile)
    {
        var split = RecSplit.Create(all, cut, testUsers);
        Console.Error.WriteLine($"{split.Train.Count:N0} training events; {testUsers.Count} test users listed, {split.Test.Count} with events after the cut");
        string At(long ts) => DateTimeOffset.FromUnixTimeSeconds(ts).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) + "Z";
        if (split.Train.Count == 0)
            throw new ArgumentException($"no event is before the cut {At(cut)} (the events start at {At(all.Min(e => e.Timestamp))}), so there is nothing to train on");
        if (split.Test.Count == 0)
            throw new ArgumentException($"none of the {testUsers.Count} test users in {usersFile} has an event after the cut {At(cut)} (the events end at {At(all.Max(e => e.Timestamp))}), so there is nothing to evaluate");
        return split;
    }

    /// <summary>Unix seconds or an ISO 8601 time with offset.</summary>
    public static long ParseTime(string text, string option = "--cut")
    {
        if (long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var s))
        {
            const long LastSecond = 253_402_300_799;   // 9999-12-31, the last time DateTimeOffset holds
            if (s is >= 0 and <= LastSecond) return s;
            throw new FormatException($"{option}: {text} is not a time in Unix seconds"
                + (s > LastSecond && s / 1000 <= LastSecond ? $" (milliseconds? In seconds it is {s / 1000})." : "."));
        }
        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t)) return t.ToUnixTimeSeconds();
        throw new FormatException($"{option}: '{text}' is neither Unix seconds nor an ISO 8601 time (e.g. 2017-12-03T00:00:00+08:00).");
    }
}

/// <summary>Output files named by options, checked before a long job rather than when it ends.</summary>
internal static class OutputFiles
{
    /// <summary>
    /// Refuses a folder given as the file, naming the option, and (unless <paramref name="create"/> is false, for a
    /// command that may still refuse before writing) creates the file's folder; returns the path.
    /// </summary>
    public static string Check(string path, string option, bool create = true)
    {
        if (Directory.Exists(path)) throw new ArgumentException($"{option}: {path} is a folder; give the path of a file to write.");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (create && dir is not null) Directory.CreateDirectory(dir);
        return path;
    }

    /// <summary>
    /// Refuses an existing file given as the folder to write into, naming the option: the writer would otherwise fail
    /// only once the work is done, with .NET's "The file ... already exists".
    /// </summary>
    public static string CheckFolder(string path, string option)
    {
        if (FolderProblem(path, option) is { } problem) throw new ArgumentException(problem);
        return path;
    }

    /// <summary>
    /// What <see cref="CheckFolder"/> refuses, as a message naming the option, or null when the path may be written
    /// into: for the commands that print their problems rather than throw them.
    /// </summary>
    public static string? FolderProblem(string path, string option) =>
        File.Exists(path) ? $"{option}: {path} is a file; give a folder to write into." : null;
}
