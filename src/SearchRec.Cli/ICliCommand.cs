using System.CommandLine;

namespace SearchRec.Cli;

/// <summary>
/// One <c>searchrec</c> sub-command. Every non-abstract implementation in this assembly is found at start-up
/// and added to the root command, so a stage adds its command by adding one file under <c>Commands/</c>.
/// </summary>
public interface ICliCommand
{
    /// <summary>Builds the command with its options and action.</summary>
    Command Build();
}

/// <summary>
/// One <c>searchrec bench NAME</c> benchmark. Implementations are found like <see cref="ICliCommand"/> but added
/// under the <c>bench</c> command. A benchmark prints what it measured (and the machine it ran on).
/// </summary>
public interface IBenchCommand
{
    /// <summary>Builds the benchmark's command (its name is the word after <c>bench</c>).</summary>
    Command Build();
}
