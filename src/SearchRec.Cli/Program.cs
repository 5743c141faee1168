using System.CommandLine;
using System.Reflection;
using SearchRec.Cli;

var root = new RootCommand("SearchRec: Chinese product search and recommendation — index, train, evaluate, serve.");
foreach (var type in typeof(ICliCommand).Assembly.GetTypes())
{
    if (type.IsAbstract || type.IsInterface || !typeof(ICliCommand).IsAssignableFrom(type)) continue;
    var command = ((ICliCommand)Activator.CreateInstance(type)!).Build();
    root.Subcommands.Add(command);
}
return await root.Parse(args).InvokeAsync();
