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
return await root.Parse(args).InvokeAsync();
