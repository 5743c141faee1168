using System.Reflection;
using SearchRec.Core;
using SearchRec.Index;

namespace SearchRec.Evaluation.Rankers;

/// <summary>
/// Named rankers the evaluation can run. <see cref="Default"/> holds the built-in BM25 rankers; other stages add
/// theirs from an <see cref="IEvalRankerModule"/>, which <see cref="AddModules"/> finds by reflection.
/// </summary>
public sealed class EvalRankerRegistry
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _order = [];
    private readonly HashSet<Type> _modulesAdded = [];
    private readonly Lock _lock = new();

    /// <summary>The process-wide registry, with <c>bm25-title</c>, <c>bm25-bigram</c> and <c>bm25</c> registered.</summary>
    public static EvalRankerRegistry Default { get; } = CreateWithBuiltIns();

    /// <summary>A registry with only the built-in BM25 rankers (for tests and embedding).</summary>
    public static EvalRankerRegistry CreateWithBuiltIns()
    {
        var registry = new EvalRankerRegistry();
        registry.Register("bm25-title", c => new Bm25EvalRanker("bm25-title", c.Index, RecallFields.Title), "BM25 on the segmented title");
        registry.Register("bm25-bigram", c => new Bm25EvalRanker("bm25-bigram", c.Index, RecallFields.Bigram), "BM25 on CJK bigrams of the title");
        registry.Register("bm25", c => new Bm25EvalRanker("bm25", c.Index, RecallFields.All), "BM25 over title, bigrams, brand, category and attributes");
        return registry;
    }

    /// <summary>Registered names, in registration order.</summary>
    public IReadOnlyList<string> Names
    {
        get { lock (_lock) return [.. _order]; }
    }

    /// <summary>
    /// Registers a ranker that needs no training. A name registered twice is an error. <paramref name="unavailable"/>
    /// says why the ranker cannot run on an evaluation's inputs (null when it can): <c>all</c> then leaves it out,
    /// and naming it is refused before anything runs. <paramref name="reads"/> names the optional inputs it reads
    /// (<see cref="Reads"/>).
    /// </summary>
    public void Register(string name, Func<EvalContext, IEvalRanker> create, string? description = null, Func<EvalContext, string?>? unavailable = null,
        EvalRankerInputs reads = EvalRankerInputs.None)
    {
        Guard.NotNull(name);
        Guard.NotNull(create);
        Add(new Entry(name, description ?? "", create, null, Unavailable: unavailable, Reads: reads));
    }

    /// <summary>
    /// Registers a ranker that is trained per cross-validation fold (<paramref name="unavailable"/> and
    /// <paramref name="reads"/> as for the other overload).
    /// </summary>
    public void Register(ICrossValidatedRankerFactory factory, string? description = null, Func<EvalContext, string?>? unavailable = null,
        EvalRankerInputs reads = EvalRankerInputs.None)
    {
        Guard.NotNull(factory);
        Add(new Entry(factory.Name, description ?? "", null, factory, Unavailable: unavailable, Reads: reads));
    }

    /// <summary>
    /// Registers an experimental (ablation or diagnostic) ranker trained per fold: it runs only when named, not as
    /// part of <c>all</c>. <paramref name="reads"/> names the optional inputs it reads (<see cref="Reads"/>).
    /// </summary>
    public void RegisterExperimental(ICrossValidatedRankerFactory factory, string? description = null, EvalRankerInputs reads = EvalRankerInputs.None)
    {
        Guard.NotNull(factory);
        Add(new Entry(factory.Name, description ?? "", null, factory, Experimental: true, Reads: reads));
    }

    /// <summary>True when the name is registered (case-insensitive).</summary>
    public bool Contains(string name) { lock (_lock) return _entries.ContainsKey(name); }

    /// <summary>A registered ranker's description (empty when none was given).</summary>
    public string Describe(string name) => Get(name).Description;

    /// <summary>True when the ranker is experimental (an ablation or diagnostic): it runs only when named, never in <c>all</c>.</summary>
    public bool IsExperimental(string name) => Get(name).Experimental;

    /// <summary>
    /// The optional inputs the ranker reads, as registered: an evaluation that gives one (<c>eval --events</c>,
    /// <c>--ood-train</c>) to rankers none of which reads it would ignore it.
    /// </summary>
    public EvalRankerInputs Reads(string name) => Get(name).Reads;

    /// <summary>True when the ranker is trained per fold.</summary>
    public bool IsCrossValidated(string name) => Get(name).Factory is not null;

    /// <summary>Builds an untrained ranker.</summary>
    /// <exception cref="InvalidOperationException">The ranker is cross-validated; use <see cref="Train"/>.</exception>
    public IEvalRanker Create(string name, EvalContext context)
    {
        var e = Get(name);
        if (e.Create is null) throw new InvalidOperationException($"ranker '{name}' must be trained per fold");
        return e.Create(Guard.NotNull(context));
    }

    /// <summary>Trains a cross-validated ranker on some queries.</summary>
    public IEvalRanker Train(string name, EvalContext context, IReadOnlyList<Trec.EvalQuery> trainQueries)
    {
        var e = Get(name);
        if (e.Factory is null) throw new InvalidOperationException($"ranker '{name}' needs no training; use Create");
        return e.Factory.Train(Guard.NotNull(context), Guard.NotNull(trainQueries));
    }

    /// <summary>
    /// Resolves a <c>--ranker</c> value: one name, a comma-separated list, or <c>all</c>. Unknown names throw an
    /// <see cref="ArgumentException"/> that lists the known ones.
    /// </summary>
    public IReadOnlyList<string> Resolve(string spec)
    {
        Guard.NotNull(spec);
        if (spec.Trim().Equals("all", StringComparison.OrdinalIgnoreCase))
            lock (_lock) return [.. _order.Where(n => !_entries[n].Experimental)];
        var names = new List<string>();
        foreach (var raw in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Contains(raw)) throw new ArgumentException(Unknown(raw));
            var canonical = Get(raw).Name;
            if (!names.Contains(canonical, StringComparer.Ordinal)) names.Add(canonical);
        }
        if (names.Count == 0) throw new ArgumentException("no ranker named; known: " + string.Join(", ", Names));
        return names;
    }

    // The main rankers by name, the nearest name when the spelling is close, and where the experimental ones are listed.
    private string Unknown(string name)
    {
        string[] main, all;
        lock (_lock)
        {
            all = [.. _order];
            main = [.. _order.Where(n => !_entries[n].Experimental)];
        }
        var nearest = all.Select(n => (Name: n, Distance: EditDistance(name.ToLowerInvariant(), n.ToLowerInvariant())))
            .Where(c => c.Distance <= Math.Max(1, Math.Min(3, name.Length / 3))).OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal).Select(c => c.Name).FirstOrDefault();
        var experimental = all.Length - main.Length;
        return $"unknown ranker '{name}'{(nearest is null ? "" : $" (did you mean '{nearest}'?)")}; known: {string.Join(", ", main)}"
            + (experimental > 0 ? $", and {experimental} experimental {(experimental == 1 ? "one" : "ones")} ('--ranker list' describes them all)" : "");
    }

    private static int EditDistance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) row[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0], left = row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var up = row[j];
                left = row[j] = Math.Min(Math.Min(up, left) + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = up;
            }
        }
        return row[b.Length];
    }

    /// <summary>
    /// Resolves a <c>--ranker</c> value for an evaluation's inputs: <c>all</c> keeps the rankers that can run on them
    /// and reports each one left out, with why, to <paramref name="skipped"/>; a named ranker that cannot run is
    /// refused with an <see cref="ArgumentException"/> saying what it needs, before any ranker runs.
    /// </summary>
    public IReadOnlyList<string> Resolve(string spec, EvalContext context, Action<string>? skipped = null)
    {
        Guard.NotNull(context);
        var all = spec.Trim().Equals("all", StringComparison.OrdinalIgnoreCase);
        var result = new List<string>();
        foreach (var name in Resolve(spec))
        {
            if (Get(name).Unavailable?.Invoke(context) is not { } why) result.Add(name);
            else if (all) skipped?.Invoke($"{name}: {why}");
            else throw new ArgumentException($"ranker '{name}' {why}");
        }
        return result;
    }

    /// <summary>
    /// Calls <see cref="IEvalRankerModule.Register"/> on each module type found in the assemblies (each type once per registry).
    /// </summary>
    public void AddModules(IEnumerable<Assembly> assemblies)
    {
        Guard.NotNull(assemblies);
        foreach (var assembly in assemblies)
        {
            Type[] types;
            try { types = assembly.GetTypes(); }
            catch (ReflectionTypeLoadException e) { types = [.. e.Types.Where(t => t is not null).Cast<Type>()]; }
            foreach (var type in types.OrderBy(t => t.FullName, StringComparer.Ordinal))
            {
                if (type.IsAbstract || type.IsInterface || !typeof(IEvalRankerModule).IsAssignableFrom(type)) continue;
                if (type.GetConstructor(Type.EmptyTypes) is null) continue;
                lock (_lock) if (!_modulesAdded.Add(type)) continue;
                ((IEvalRankerModule)Activator.CreateInstance(type)!).Register(this);
            }
        }
    }

    /// <summary>
    /// The SearchRec assemblies an entry assembly references, directly or not (loading them), for <see cref="AddModules"/>.
    /// </summary>
    public static IReadOnlyList<Assembly> SearchRecAssemblies(Assembly entry)
    {
        Guard.NotNull(entry);
        var found = new Dictionary<string, Assembly>(StringComparer.Ordinal);
        var stack = new Stack<Assembly>();
        stack.Push(entry);
        while (stack.Count > 0)
        {
            var a = stack.Pop();
            if (!found.TryAdd(a.GetName().Name ?? "", a)) continue;
            foreach (var reference in a.GetReferencedAssemblies())
            {
                if (reference.Name is null || !reference.Name.StartsWith("SearchRec", StringComparison.Ordinal) || found.ContainsKey(reference.Name)) continue;
                try { stack.Push(Assembly.Load(reference)); }
                catch (FileNotFoundException) { }
            }
        }
        return [.. found.Values.OrderBy(a => a.GetName().Name, StringComparer.Ordinal)];
    }

    private Entry Get(string name)
    {
        Guard.NotNull(name);
        lock (_lock)
            return _entries.TryGetValue(name, out var e) ? e
                : throw new ArgumentException($"unknown ranker '{name}'; known: {string.Join(", ", _order)}", nameof(name));
    }

    private void Add(Entry entry)
    {
        if (string.IsNullOrWhiteSpace(entry.Name) || entry.Name.Contains(',', StringComparison.Ordinal) || entry.Name.Equals("all", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"ranker name '{entry.Name}' is not allowed (empty, 'all', or has a comma)", nameof(entry));
        lock (_lock)
        {
            if (!_entries.TryAdd(entry.Name, entry)) throw new ArgumentException($"ranker '{entry.Name}' is already registered", nameof(entry));
            _order.Add(entry.Name);
        }
    }

    private sealed record Entry(string Name, string Description, Func<EvalContext, IEvalRanker>? Create, ICrossValidatedRankerFactory? Factory, bool Experimental = false,
        Func<EvalContext, string?>? Unavailable = null, EvalRankerInputs Reads = EvalRankerInputs.None);
}

/// <summary>
/// Inputs of an evaluation that only some rankers read (beside the index, catalog, queries and judgments), declared
/// when a ranker is registered (<see cref="EvalRankerRegistry.Reads"/>).
/// </summary>
[Flags]
public enum EvalRankerInputs
{
    /// <summary>None of them.</summary>
    None = 0,

    /// <summary>The users' behaviour histories (<see cref="EvalContext.EventFiles"/>).</summary>
    Events = 1,

    /// <summary>Another domain's graded judgments to train on (<see cref="EvalContext.OutOfDomainTraining"/>); a ranker that reads them needs them.</summary>
    OutOfDomainTraining = 2,
}
