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
