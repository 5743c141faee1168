using System.CommandLine;
using SearchRec.Collab.Events;

namespace SearchRec.Cli.Commands;

/// <summary><c>searchrec import-events</c>: imports event CSV files into the SQLite event store (idempotent).</summary>
public sealed class ImportEventsCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        // --events and --store as well: train-cf and eval-rec call the CSV files --events, and the store is what serve reads.
        var files = new Option<string[]>("--file", "--events") { Description = "Event CSV file(s); may be repeated.", Required = true, AllowMultipleArgumentsPerToken = true };
        var db = new Option<string>("--db", "--store") { Description = "SQLite event store file (serve --events reads it).", DefaultValueFactory = _ => "data/events.db" };
        var cmd = new Command("import-events", "Import behaviour events (user_id,item_id,category_id,behavior,timestamp) into the event store; bad lines are reported and skipped, re-imports do not double-count.");
        cmd.Options.Add(files); cmd.Options.Add(db);
        cmd.SetAction(pr =>
        {
            int rc = 0;
            var readable = new List<string>();
            foreach (var file in pr.GetValue(files)!)
            {
                if (!File.Exists(file)) { Console.Error.WriteLine($"import-events: file not found: {file}"); rc = 2; continue; }
                // It exited 0 saying "0 events parsed", as if a log had been imported: most likely a wrong or truncated file.
                if (!HasText(file)) { Console.Error.WriteLine($"import-events: no event in {file}: it is empty or holds only blank lines"); rc = 2; continue; }
                readable.Add(file);
            }
            // No store is created for files that hold nothing to put in it.
            if (readable.Count == 0) return rc;
            using var store = new SqliteEventStore(pr.GetValue(db)!);
            foreach (var file in readable)
            {
                var report = store.Import(file, new SyncProgress<long>(n => Console.Error.WriteLine($"{file}: {n:N0} events read ...")));
                foreach (var p in report.Problems.Take(20)) Console.Error.WriteLine($"skipped {p}");
                if (report.Problems.Count > 20) Console.Error.WriteLine($"... and {report.Problems.Count - 20} more bad lines");
                Console.WriteLine($"{file}: {report.Parsed:N0} events parsed, {report.Inserted:N0} new, {report.Duplicates:N0} already stored, {report.Problems.Count} bad lines; {report.EventsPerSecond:N0} events/s");
                // Every line bad is a wrong file, not a log with a few bad rows: say so in the exit code too.
                if (report.Parsed == 0 && report.Problems.Count > 0)
                {
                    Console.Error.WriteLine($"import-events: no event could be read from {file} ({report.Problems.Count:N0} bad lines): expected lines 'user_id,item_id,category_id,behavior,timestamp'");
                    rc = 2;
                }
                else if (report.Parsed == 0)
                {
                    Console.Error.WriteLine($"import-events: no event in {file}: it holds only a header line");
                    rc = 2;
                }
            }
            Console.WriteLine($"store {pr.GetValue(db)} holds {store.Count:N0} events");
            return rc;
        });
        return cmd;
    }

    private static bool HasText(string file)
    {
        using var reader = new StreamReader(file);
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
            if (!string.IsNullOrWhiteSpace(line)) return true;
        return false;
    }
}
