using SearchRec.Examples.InProcess;

// dotnet run --project examples/InProcess -- [INDEX] [COLLAB] [EVENTS_DB] [RANKER] [QUERY] [USER]
// The defaults are the files `searchrec demo` writes.
string Arg(int i, string fallback) => args.Length > i ? args[i] : fallback;
try
{
    await Shop.RunAsync(new ShopPaths(Arg(0, "index-data/demo"), Arg(1, "out/demo/collab"), Arg(2, "out/demo/events.db"),
        args.Length > 3 ? args[3] : Directory.Exists("out/demo/ranker") ? "out/demo/ranker" : null), Arg(4, "连衣裙"), long.Parse(Arg(5, "1"), System.Globalization.CultureInfo.InvariantCulture), Console.Out);
    return 0;
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or FormatException)
{
    Console.Error.WriteLine($"in-process example: {e.Message}");
    return 2;
}
