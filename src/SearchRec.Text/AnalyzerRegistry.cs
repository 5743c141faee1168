using System.Collections.Concurrent;
using System.Reflection;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Analysis.Synonym;
using Lucene.Net.Util;
using SearchRec.Text.LuceneAnalysis;

namespace SearchRec.Text;

/// <summary>
/// Lucene analyzers by name, so configuration picks one. Built in: <c>searchrec</c> (our segmenter in search mode,
/// normalisation, synonyms; the title field), <c>searchrec-accurate</c> (accurate mode), <c>cjk-bigram</c>
/// (normalisation, StandardTokenizer, CJK bigrams; the title's bigram copy), <c>standard</c> (Lucene's
/// StandardAnalyzer), and <c>smartcn</c> when the assembly <c>Lucene.Net.Analysis.SmartCn</c> can be loaded.
/// Names are case-insensitive. Unless <see cref="AnalysisOptions.FoldTraditional"/> is off, every analyzer created
/// folds traditional Chinese characters to simplified ones first. Thread-safe.
/// </summary>
public sealed class AnalyzerRegistry
{
    private static readonly Lazy<AnalyzerRegistry> s_default = new(() => new AnalyzerRegistry());

    private readonly ConcurrentDictionary<string, Func<AnalysisOptions, Analyzer>> _factories = new(StringComparer.OrdinalIgnoreCase);

    // Segmenters with a user dictionary, shared per file so each is loaded once.
    private readonly ConcurrentDictionary<string, Lazy<ChineseSegmenter>> _userSegmenters = new(StringComparer.Ordinal);

    /// <summary>A registry holding the built-in analyzers (use it to register names without touching <see cref="Default"/>).</summary>
    public AnalyzerRegistry()
    {
        Register("searchrec", o => CreateSegmenting(o, SegmentMode.Search));
        Register("searchrec-accurate", o => CreateSegmenting(o, SegmentMode.Accurate));
        Register("cjk-bigram", o => new CjkBigramAnalyzer(o.FoldTraditional));
        Register("standard", _ => new StandardAnalyzer(LuceneVersion.LUCENE_48));
        Func<AnalysisOptions, Analyzer>? smartcn = TryFindSmartCn();
        if (smartcn != null) Register("smartcn", smartcn);
    }

    /// <summary>The shared registry.</summary>
    public static AnalyzerRegistry Default => s_default.Value;

    /// <summary>The registered names, sorted.</summary>
    public IReadOnlyCollection<string> Names => _factories.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();

    /// <summary>Creates the analyzer registered as <paramref name="name"/>.</summary>
    /// <param name="name">A registered name (case-insensitive).</param>
    /// <param name="options">User dictionary and synonyms; null for none. Validated here.</param>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones), or bad options.</exception>
    /// <exception cref="FormatException">A bad line in the user dictionary or synonym file (file and line named).</exception>
    public Analyzer Create(string name, AnalysisOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_factories.TryGetValue(name, out var factory))
            throw new ArgumentException($"Unknown analyzer '{name}'. Known analyzers: {string.Join(", ", Names)}.", nameof(name));
        options ??= new AnalysisOptions();
        options.Validate();
        var analyzer = factory(options);
        // Ours fold inside their normalisation pass; any other analyzer gets a folding char filter in front.
        return options.FoldTraditional && analyzer is not ITraditionalFolding { FoldsTraditional: true }
            ? new TraditionalFoldingAnalyzer(analyzer)
            : analyzer;
    }

    /// <summary>Registers (or replaces) an analyzer factory under <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is blank.</exception>
    public void Register(string name, Func<AnalysisOptions, Analyzer> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        _factories[name.Trim()] = factory;
    }

    private Analyzer CreateSegmenting(AnalysisOptions options, SegmentMode mode)
    {
        ChineseSegmenter segmenter = options.UserDictionaryPath is null
            ? ChineseSegmenter.Default
            : _userSegmenters.GetOrAdd(Path.GetFullPath(options.UserDictionaryPath), static p => new Lazy<ChineseSegmenter>(() =>
            {
                var s = new ChineseSegmenter();
                s.LoadUserDictionary(p);
                return s;
            })).Value;
        SynonymMap? synonyms = options.SynonymsPath is null ? null : LoadSynonyms(options.SynonymsPath, segmenter, options.FoldTraditional);
        return new SegmentingAnalyzer(segmenter, mode, synonyms, options.FoldTraditional);
    }

    internal static SynonymMap LoadSynonyms(string path, ChineseSegmenter segmenter, bool foldTraditional = true)
    {
        // Rule words are cut in accurate mode, so a multi-word rule matches the words the tokenizer emits; they are
        // folded as the analyzed text is, or a rule written in traditional characters would never match.
        using var ruleAnalyzer = new SegmentingAnalyzer(segmenter, SegmentMode.Accurate, null, foldTraditional);
        var parser = new SolrSynonymParser(dedup: true, expand: true, ruleAnalyzer);
        try
        {
            SearchRec.Core.TextFiles.CheckUtf8(path);
            using var reader = new StreamReader(path);
            parser.Parse(reader);
            return parser.Build();
        }
        catch (Exception e) when (e is not IOException and not OutOfMemoryException)
        {
            // file:line: reason, as every other reader words a bad line; Lucene says "Invalid synonym rule at line N"
            // and puts the reason in the inner exception.
            var at = System.Text.RegularExpressions.Regex.Match(e.Message, @"at line (\d+)");
            var reason = e.InnerException?.Message is { Length: > 0 } inner ? inner : e.Message;
            throw new FormatException(at.Success ? $"{path}:{at.Groups[1].Value}: bad synonym rule: {reason}" : $"{path}: bad synonym rule: {e.Message}", e);
        }
    }

    private static Func<AnalysisOptions, Analyzer>? TryFindSmartCn()
    {
        try
        {
            Assembly asm = Assembly.Load(new AssemblyName("Lucene.Net.Analysis.SmartCn"));
            Type? type = asm.GetType("Lucene.Net.Analysis.Cn.Smart.SmartChineseAnalyzer");
            ConstructorInfo? ctor = type?.GetConstructor([typeof(LuceneVersion)]);
            if (ctor is null) return null;
            return _ => (Analyzer)ctor.Invoke([LuceneVersion.LUCENE_48]);
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return null;
        }
    }
}
