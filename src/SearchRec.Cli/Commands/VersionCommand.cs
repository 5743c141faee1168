using System.CommandLine;
using System.Reflection;

namespace SearchRec.Cli.Commands;

/// <summary><c>searchrec version</c>: the build's version and runtime.</summary>
public sealed class VersionCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var cmd = new Command("version", "Print the SearchRec version and the .NET runtime.");
        cmd.SetAction(_ =>
        {
            var v = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
            Console.WriteLine($"searchrec {v} on .NET {Environment.Version}");
            return 0;
        });
        return cmd;
    }
}
