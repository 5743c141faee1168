using SearchRec.Cli.Commands;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Cli.Tests;

// Bad input files and options met by an audit of the commands (in EvalCliTests' class: the commands write to the
// console, which one lock guards).
public sealed partial class EvalCliTests
{
    [Fact]
    public void Eval_rec_refuses_a_report_path_that_is_a_folder_before_evaluating()
    {
        using var dir = new TempDir();
        var users = HalfOfTheUsers(dir);
        var folder = Directory.CreateDirectory(dir.File("report")).FullName;

        var (code, stdout, stderr) = Run(new EvalRecCommand(), "--events", _shop.File("events.csv"), "--cut", "1512230400",
            "--test-users-from", users, "--model", "repeat", "--report", folder);

        Assert.Equal(2, code);
        Assert.Contains($"eval-rec: --report: {folder} is a folder", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("repeat", stdout, StringComparison.Ordinal);
    }
}
