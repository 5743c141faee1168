using System.CommandLine;
using SearchRec.Collab.Models;
using SearchRec.Evaluation.Recommendation;

namespace SearchRec.Cli.Commands;

/// <summary><c>searchrec train-cf</c>: trains the collaborative models from event files and saves them with a model card.</summary>
public sealed class TrainCfCommand : ICliCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var events = new Option<string[]>("--events") { Description = "Event CSV file(s), or a service's event store (events.db); may be repeated.", Required = true, AllowMultipleArgumentsPerToken = true };
        var dir = new Option<string>("--models") { Description = "Folder to save the models and model-card.json in.", DefaultValueFactory = _ => "models/collab" };
        var factors = new Option<int>("--factors") { Description = "ALS factors.", DefaultValueFactory = _ => 64 };
        var iterations = new Option<int>("--iterations") { Description = "ALS iterations.", DefaultValueFactory = _ => 10 };
        var neighbours = new Option<int>("--neighbours") { Description = "Item-to-item neighbours kept per item.", DefaultValueFactory = _ => 50 };
        var skipAls = new Option<bool>("--skip-als") { Description = "Train only the counting models." };
        var cut = new Option<string?>("--eval-cut") { Description = "Also measure the models (eval-rec protocol) at this cut and write the metrics into the model card." };
        var users = new Option<string?>("--test-users-from") { Description = "Test users for --eval-cut." };
        var cmd = new Command("train-cf", "Train the collaborative models (popularity, repeat, item-item, ALS, category) and save them.");
        foreach (var o in new Option[] { events, dir, factors, iterations, neighbours, skipAls, cut, users }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            try
            {
                var options = new CollabOptions
                {
                    Factors = pr.GetValue(factors), AlsIterations = pr.GetValue(iterations),
                    Neighbours = pr.GetValue(neighbours), SkipAls = pr.GetValue(skipAls),
                }.Validate();
                OutputFiles.CheckFolder(pr.GetValue(dir)!, "--models");
                // Alone it was ignored: the models were saved without the metrics the users were given for.
                if (pr.GetValue(users) is not null && pr.GetValue(cut) is null)
                    throw new ArgumentException("--test-users-from is read with --eval-cut alone (the cut the users are evaluated at); give both or neither.");
                // ALS options beside --skip-als were silently ignored: the card then recorded factors never trained.
                if (options.SkipAls)
                {
                    var alsFlags = string.Join(", ", new (Option Flag, string Name)[] { (factors, "--factors"), (iterations, "--iterations") }
                        .Where(f => pr.GetResult(f.Flag) is { Implicit: false }).Select(f => f.Name));
                    if (alsFlags.Length > 0) throw new ArgumentException($"{alsFlags} set ALS, which --skip-als leaves out; give one or the other.");
                }
                // Checked before the events are read: a typo in the cut or the user file used to surface only after loading.
                var cutAt = pr.GetValue(cut) is string cutText ? EventFiles.ParseTime(cutText, "--eval-cut") : (long?)null;
                if (cutAt is not null && pr.GetValue(users) is null) throw new ArgumentException("--eval-cut needs --test-users-from.");
                var testFile = pr.GetValue(users);
                var testUsers = cutAt is not null ? EventFiles.ReadUsers(testFile!) : null;
                var files = pr.GetValue(events)!;
                var all = EventFiles.Read(files);
                var sw = System.Diagnostics.Stopwatch.StartNew();
                var progress = new SyncProgress<TrainProgress>(p => Console.Error.WriteLine($"[{sw.Elapsed.TotalSeconds,6:F1}s] {p.Stage} {p.Fraction,4:P0}: {p.Message}"));
                var metrics = new Dictionary<string, double>();
                if (cutAt is long at)
                {
                    Console.Error.Write("evaluating at the cut: ");
                    var split = EventFiles.Split(all, at, testUsers!, testFile!);
                    var heldOut = CollabModels.Train(split.Train, options, progress);
                    foreach (var name in CollabModels.ScorerNames)
                    {
                        if (options.SkipAls && name is "als") continue;
                        var r = RecEvaluator.Evaluate(heldOut, split, name, [10, 20]);
                        foreach (var (key, v) in r.Metrics) metrics[$"{name} {key}"] = v;
                        Console.Error.WriteLine($"{name,-12} hr@20 {r.Metrics["hr@20"]:F4} ndcg@20 {r.Metrics["ndcg@20"]:F4} ({r.Users} users)");
                    }
                }
                var models = CollabModels.Train(all, options, progress);
                models.Card.Sources = [.. files.Select(Path.GetFullPath)];
                foreach (var (k, v) in metrics) models.Card.Metrics[k] = v;
                var outDir = pr.GetValue(dir)!;
                models.Save(outDir);
                Console.WriteLine($"trained on {models.Card.Events:N0} events ({models.Card.Users:N0} users, {models.Card.Items:N0} items) in {sw.Elapsed.TotalSeconds:F1} s; saved to {outDir}");
                return 0;
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or IOException or InvalidDataException)
            {
                Console.Error.WriteLine($"train-cf: {CliErrors.Message(ex, nameof(CollabOptions), FlagOf)}");
                return 2;
            }
        });
        return cmd;
    }

    private static string? FlagOf(string property) => property switch
    {
        nameof(CollabOptions.Factors) => "--factors",
        nameof(CollabOptions.AlsIterations) => "--iterations",
        nameof(CollabOptions.Neighbours) => "--neighbours",
        _ => null,
    };
}
