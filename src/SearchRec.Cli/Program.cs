using System.CommandLine;
using SearchRec.Cli;

var root = new RootCommand("SearchRec: Chinese product search and recommendation — index, train, evaluate, serve.");
var bench = new Command("bench", "Measure speed: indexing, recall latency, training, scoring, HTTP load.");
foreach (var type in typeof(ICliCommand).Assembly.GetTypes().OrderBy(t => t.Name, StringComparer.Ordinal))
{
    if (type.IsAbstract || type.IsInterface) continue;
    if (typeof(ICliCommand).IsAssignableFrom(type))
        root.Subcommands.Add(((ICliCommand)Activator.CreateInstance(type)!).Build());
    else if (typeof(IBenchCommand).IsAssignableFrom(type))
        bench.Subcommands.Add(((IBenchCommand)Activator.CreateInstance(type)!).Build());
}
if (bench.Subcommands.Count > 0) root.Subcommands.Add(bench);
if (args.Length == 0)
{
    await root.Parse(["--help"]).InvokeAsync();
    return 2;
}
var parsed = root.Parse(args);
string CommandName(Command command) =>
    command == root ? "searchrec" : command.Parents.OfType<Command>().Any(p => p == bench) ? "bench " + command.Name : command.Name;
if (parsed.Errors.Count > 0)
{
    // Bad options are bad input as well: one line each and exit 2, not the whole help page.
    var command = parsed.CommandResult.Command;
    var name = CommandName(command);
    // The parser says "Required argument missing" once per missing argument without naming it: name them instead.
    var missing = command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0 && parsed.GetResult(a) is not { Tokens.Count: > 0 })
        .Select(a => $"missing argument {a.HelpName ?? a.Name}").ToList();
    var lines = parsed.Errors.Select(e => missing.Count > 0 && e.Message.StartsWith("Required argument missing", StringComparison.Ordinal) ? null : e.Message)
        .OfType<string>().Concat(missing).Distinct(StringComparer.Ordinal);
    foreach (var line in lines) Console.Error.WriteLine($"{name}: {line}");
    Console.Error.WriteLine($"(`{(name == "searchrec" ? "searchrec" : "searchrec " + name)} --help` lists the options)");
    return 2;
}
try
{
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
// Bad input that a command did not catch itself (a bad option value, an unwritable folder, a broken file): one
// line naming the command, not a stack trace. Anything else is a bug and keeps its trace; SEARCHREC_TRACE=1 shows
// the trace here too, for a bug that throws one of these types.
catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException or FormatException)
{
    Console.Error.WriteLine($"{CommandName(parsed.CommandResult.Command)}: {CliErrors.Message(e)}");
    if (Environment.GetEnvironmentVariable("SEARCHREC_TRACE") is "1" or "true") Console.Error.WriteLine(e);
    return 2;
}
