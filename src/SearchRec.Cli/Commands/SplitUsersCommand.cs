using System.CommandLine;
using SearchRec.Evaluation.Recommendation;

namespace SearchRec.Cli.Commands;

/// <summary><c>searchrec split-users</c>: a seeded random fraction of an event log's users, one id per line.</summary>
public sealed class SplitUsersCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var events = new Option<string[]>("--events") { Description = "Event CSV file(s) (user_id,item_id,category_id,behavior,timestamp), or a service's event store (events.db).", Required = true, AllowMultipleArgumentsPerToken = true };
        var fraction = new Option<double>("--fraction") { Description = "Share of users to pick.", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 42 };
        var output = new Option<string>("--out") { Description = "Output file: one user id per line.", Required = true };
        var cmd = new Command("split-users", "Pick a seeded random fraction of the users of an event log (test users for eval-rec).");
        cmd.Options.Add(events); cmd.Options.Add(fraction); cmd.Options.Add(seed); cmd.Options.Add(output);
        cmd.SetAction(pr =>
        {
            var f = pr.GetValue(fraction);
            if (!(f > 0 && f <= 1)) { Console.Error.WriteLine($"--fraction must be in (0, 1], was {f}."); return 2; }
            try
            {
                // The folder is made only once there is a list to write: a refused split leaves nothing behind.
                OutputFiles.Check(pr.GetValue(output)!, "--out", create: false);
                var users = EventFiles.Read(pr.GetValue(events)!).Select(e => e.UserId).ToList();
                var pick = RecEvaluator.SplitUsers(users, f, pr.GetValue(seed));
                // An empty list is never a split: eval-rec and train-ranker refuse it, but only later, once it was written.
                if (pick.Count == 0)
                {
                    var n = users.Distinct().Count();
                    Console.Error.WriteLine($"split-users: --fraction {f.ToString(System.Globalization.CultureInfo.InvariantCulture)} of the {n} {(n == 1 ? "user" : "users")} in {string.Join(", ", pr.GetValue(events)!)} picks no test user, and eval-rec refuses an empty list: give a larger --fraction or a log with more users. Nothing was written to {pr.GetValue(output)}.");
                    return 2;
                }
                OutputFiles.Check(pr.GetValue(output)!, "--out");
                File.WriteAllLines(pr.GetValue(output)!, pick.Select(u => u.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                Console.WriteLine($"{pick.Count} users written to {pr.GetValue(output)} (fraction {f}, seed {pr.GetValue(seed)})");
                return 0;
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
            {
                Console.Error.WriteLine($"split-users: {CliErrors.Message(ex)}");
                return 2;
            }
        });
        return cmd;
    }
}
