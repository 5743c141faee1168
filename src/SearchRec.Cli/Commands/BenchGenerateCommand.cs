using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using SearchRec.Synthetic;

namespace SearchRec.Cli.Commands;

/// <summary><c>searchrec bench generate</c>: synthetic shop generation speed (catalog products/s, whole shop wall time, peak memory).</summary>
public sealed class BenchGenerateCommand : IBenchCommand
{
    /// <inheritdoc />
    public Command Build()
    {
        var products = new Option<int>("--products") { Description = "Products to generate.", DefaultValueFactory = _ => 1_000_000 };
        var users = new Option<int>("--users") { Description = "Users to simulate.", DefaultValueFactory = _ => 10_000 };
        var repeat = new Option<int>("--repeat") { Description = "Timed repetitions (the best and median are printed).", DefaultValueFactory = _ => 3 };
        var cmd = new Command("generate", "Time the synthetic shop generator: in-memory catalog enumeration and writing every file.");
        cmd.Options.Add(products);
        cmd.Options.Add(users);
        cmd.Options.Add(repeat);
        cmd.SetAction(pr =>
        {
            var options = new ShopOptions { Products = pr.GetValue(products), Users = pr.GetValue(users) };
            var n = pr.GetValue(repeat);
            if (n is < 1 or > 100) { Console.Error.WriteLine($"bench generate: --repeat must be between 1 and 100 (was {n})"); return 2; }
            try { options.Validate(); }
            catch (ArgumentException e) { Console.Error.WriteLine($"bench generate: {CliErrors.Message(e)}"); return 2; }

            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}; timings on a shared machine are noisy");
            var enumerate = new List<double>();
            var write = new List<double>();
            var dir = Path.Combine(Path.GetTempPath(), "searchrec-bench-generate-" + Environment.ProcessId);
            try
            {
                for (var r = 0; r < n; r++)
                {
                    var generator = new ShopGenerator(options);
                    var watch = Stopwatch.StartNew();
                    long chars = 0;
                    foreach (var p in generator.Products()) chars += p.Title.Length;
                    enumerate.Add(watch.Elapsed.TotalSeconds);
                    Console.Error.WriteLine($"  run {r + 1}/{n}: enumerate {enumerate[^1]:F2} s ({chars / (double)options.Products:F1} chars per title)");

                    generator = new ShopGenerator(options);
                    watch.Restart();
                    var files = generator.Write(dir);
                    write.Add(watch.Elapsed.TotalSeconds);
                    Console.Error.WriteLine($"  run {r + 1}/{n}: write {write[^1]:F2} s ({files.EventCount:N0} events, {files.QueryCount:N0} queries)");
                }
            }
            finally
            {
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            }
            enumerate.Sort();
            write.Sort();
            Console.WriteLine($"products()  {options.Products:N0} products: best {enumerate[0]:F2} s ({options.Products / enumerate[0]:N0} products/s), median {enumerate[n / 2]:F2} s");
            Console.WriteLine($"write(dir)  {options.Products:N0} products + {options.Users:N0} users: best {write[0]:F2} s, median {write[n / 2]:F2} s");
            Console.WriteLine($"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024):F0} MB");
            return 0;
        });
        return cmd;
    }
}
