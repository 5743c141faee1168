using BenchmarkDotNet.Running;

namespace SearchRec.Bench;

/// <summary>
/// Micro-benchmarks (BenchmarkDotNet). Whole-pipeline speed figures (indexing rate, recall latency
/// percentiles over a query mix, ALS seconds per iteration) come from <c>searchrec bench</c>.
/// </summary>
public static class BenchProgram
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(BenchProgram).Assembly).Run(args);
}
