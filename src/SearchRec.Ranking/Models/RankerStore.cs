using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SearchRec.Core;
using SearchRec.Ranking.Features;
using SearchRec.Text;

namespace SearchRec.Ranking.Models;

/// <summary>Thrown when a saved ranker was trained on other features than the ones computed now.</summary>
public sealed class RankerSchemaMismatchException : IOException
{
    /// <summary>Creates the exception with its message.</summary>
    public RankerSchemaMismatchException(string message) : base(message) { }
}

/// <summary>
/// Saves and loads rankers as <c>ranker.json</c> (kind, feature schema, parameters) beside a model card
/// (<c>model-card.json</c> and <c>model-card.md</c>). Loading checks the feature schema and refuses a model trained
/// on different features, naming the difference.
/// </summary>
public static class RankerStore
{
    /// <summary>The model file name inside a models directory.</summary>
    public const string ModelFile = "ranker.json";

    private const string Format = "searchrec-ranker/1";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes the model (and the card, when given) into <paramref name="directory"/>, creating it if needed.</summary>
    public static void Save(IRankerModel model, string directory, ModelCard? card = null)
    {
        Guard.NotNull(model);
        Guard.NotNull(directory);
        Directory.CreateDirectory(directory);
        var dto = ToDto(model);
        var path = Path.Combine(directory, ModelFile);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(dto, Json));
        File.Move(tmp, path, overwrite: true);
        if (card is not null) card.Save(directory);
    }

    /// <summary>
    /// Loads the ranker in <paramref name="directory"/> and checks that it reads exactly the features of
    /// <paramref name="expected"/>; throws <see cref="RankerSchemaMismatchException"/> naming the difference otherwise.
    /// </summary>
    public static IRankerModel Load(string directory, FeatureSchema expected)
    {
        Guard.NotNull(expected);
        var model = Read(directory);
        var diff = expected.DescribeDifference(model.Schema);
        if (diff is not null)
            throw new RankerSchemaMismatchException(
                $"The ranker in {directory} was trained on feature schema {model.Schema}, but this build computes {expected}: {diff}. Retrain it with `searchrec train-ranker`.");
        return model;
    }

    /// <summary>Loads the ranker in <paramref name="directory"/> with the schema it was saved with.</summary>
    public static IRankerModel Read(string directory)
    {
        Guard.NotNull(directory);
        var path = Path.Combine(directory, ModelFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"No ranker in {directory}: {ModelFile} is missing. Train one with `searchrec train-ranker`.", path);
        ModelDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize<ModelDto>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a ranker file ({e.Message}).", e);
        }
        if (dto is null || dto.Format != Format) throw new InvalidDataException($"{path}: format '{dto?.Format}' is not {Format}.");
        return FromDto(dto, path, "");
    }

    private static IRankerModel FromDto(ModelDto dto, string path, string where)
    {
        if (dto.Schema?.Names is null) throw new InvalidDataException($"{path}: {where}the feature schema is missing.");
        // FeatureSchema and the models check their arguments without knowing the file (a null or repeated name).
        var schema = Named(() => new FeatureSchema(dto.Schema.Names, dto.Schema.Version), path, where);
        if (dto.Schema.Hash != schema.Hash) throw new InvalidDataException($"{path}: {where}schema hash {dto.Schema.Hash} does not match its feature names (expected {schema.Hash}); the file was edited or damaged.");
        if (dto.Kind is { } kind && StackColumns.ForKind(kind) is { } columns && where.Length == 0)
            return Stacked(dto, schema, path, columns);
        return dto.Kind switch
        {
            "lambdamart" => Ensemble(schema, dto.Trees, dto.Bias, path, where),
            BaggedRanker.KindName => Bag(schema, dto.Members, path),
            TowerAveragedRanker.KindName => Towers(schema, dto.Members, path),
            "linear" => Named(() => new LinearRanker(schema, Req(dto.Mean, path, -1), Req(dto.Scale, path, -1), Req(dto.Weights, path, -1), (float)dto.Bias), path, where),
            "weighted" => Named(() => new WeightedRanker(schema, Req(dto.Features, path, -1), Req(dto.Weights, path, -1)), path, where),
            _ => throw new InvalidDataException($"{path}: {where}unknown ranker kind '{dto.Kind}' (expected lambdamart, lambdamart-bag, lambdamart-towers, linear, weighted, or one of the first three followed by {StackColumns.Linear.KindSuffix} or {StackColumns.Transfer.KindSuffix})."),
        };
    }

    private static StackedRanker Stacked(ModelDto dto, FeatureSchema schema, string path, StackColumns columns)
    {
        var linear = columns == StackColumns.Linear;
        var (part, field, what) = linear ? (dto.Linear, "linear", "linear stacker") : (dto.Base, "base", "base model");
        var baseModel = FromDto(part ?? throw new InvalidDataException($"{path}: a {dto.Kind} ranker needs its {what} (\"{field}\")."), path, what + ": ");
        if (linear && baseModel is not LinearRanker) throw new InvalidDataException($"{path}: the linear stacker of a {dto.Kind} ranker must be of kind linear.");
        var upper = FromDto(dto.Upper ?? throw new InvalidDataException($"{path}: a {dto.Kind} ranker needs its upper model (\"upper\")."), path, "upper model: ");
        var diff = schema.DescribeDifference(baseModel.Schema);
        if (diff is not null) throw new InvalidDataException($"{path}: the {what} reads other features than the ranker: {diff}.");
        try
        {
            var model = new StackedRanker(baseModel, upper, columns);
            if (model.Kind != dto.Kind) throw new InvalidDataException($"{path}: kind '{dto.Kind}' but its upper model is {upper.Kind}.");
            return model;
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    private static ModelDto ToDto(IRankerModel model)
    {
        var dto = new ModelDto
        {
            Format = Format,
            Kind = model.Kind,
            Schema = new SchemaDto { Version = model.Schema.Version, Hash = model.Schema.Hash, Names = model.Schema.Names.ToArray() },
        };
        switch (model)
        {
            case TreeEnsembleRanker t:
                dto.Bias = t.Bias;
                dto.Trees = TreesOf(t);
                break;
            case BaggedRanker bag:
                dto.Members = bag.Members.Select((m, i) => new MemberDto
                {
                    Bias = m.Bias,
                    Trees = TreesOf(m),
                    Seed = i < bag.Info.Count ? bag.Info[i].Seed : null,
                    Queries = i < bag.Info.Count ? bag.Info[i].Queries : null,
                    DistinctQueries = i < bag.Info.Count ? bag.Info[i].DistinctQueries : null,
                }).ToArray();
                break;
            case TowerAveragedRanker towers:
                dto.Members = towers.Members.Select((m, i) => new MemberDto
                {
                    Bias = m.Bias,
                    Trees = TreesOf(m),
                    Tower = towers.Towers[i].Name,
                    Fingerprint = towers.Towers[i].Fingerprint,
                }).ToArray();
                break;
            case LinearRanker l:
                dto.Bias = l.Bias;
                dto.Mean = l.Mean.ToArray();
                dto.Scale = l.Scale.ToArray();
                dto.Weights = l.Weights.ToArray();
                break;
            case StackedRanker stacked:
                if (stacked.Columns == StackColumns.Linear) dto.Linear = ToDto(stacked.Base);
                else dto.Base = ToDto(stacked.Base);
                dto.Upper = ToDto(stacked.Upper);
                break;
            case WeightedRanker w:
                dto.Features = w.Features.ToArray();
                dto.Weights = w.Weights.ToArray();
                break;
            default:
                throw new ArgumentException($"Cannot save a ranker of type {model.GetType().Name}.", nameof(model));
        }
        return dto;
    }

    private static TreeDto[] TreesOf(TreeEnsembleRanker t) =>
        t.Trees.Select(x => new TreeDto { Feature = x.Feature, Threshold = x.Threshold, Left = x.Left, Right = x.Right, Leaf = x.Leaf, Weight = x.Weight }).ToArray();

    private static TreeEnsembleRanker Ensemble(FeatureSchema schema, TreeDto[]? trees, double bias, string path, string where)
    {
        var parsed = (trees ?? throw new InvalidDataException($"{path}: {where}trees are missing."))
            .Select((t, i) => Req(t, path, i)).Select((t, i) => new TreeEnsembleRanker.Tree(Req(t.Feature, path, i), Req(t.Threshold, path, i), Req(t.Left, path, i), Req(t.Right, path, i), Req(t.Leaf, path, i), t.Weight)).ToArray();
        return Named(() => new TreeEnsembleRanker(schema, parsed, bias), path, where);
    }

    // A model's own checks do not know the file: name it.
    private static T Named<T>(Func<T> build, string path, string where)
    {
        try { return build(); }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal)) { throw new InvalidDataException($"{path}: {where}{e.Message}", e); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {where}{e.Message}", e); }
    }

    private static BaggedRanker Bag(FeatureSchema schema, MemberDto[]? members, string path)
    {
        if (members is null || members.Length == 0) throw new InvalidDataException($"{path}: a lambdamart-bag ranker needs members.");
        var models = new TreeEnsembleRanker[members.Length];
        var info = new List<BagMemberInfo>(members.Length);
        for (var i = 0; i < members.Length; i++)
        {
            var m = members[i] ?? throw new InvalidDataException($"{path}: member {i} is empty.");
            models[i] = Ensemble(schema, m.Trees, m.Bias, path, $"member {i}: ");
            if (m.Seed is { } seed) info.Add(new BagMemberInfo(seed, m.Queries ?? 0, m.DistinctQueries ?? 0, models[i].Trees.Count));
        }
        return new BaggedRanker(schema, models, info.Count == models.Length ? info : null);
    }

    private static TowerAveragedRanker Towers(FeatureSchema schema, MemberDto[]? members, string path)
    {
        if (members is null || members.Length == 0) throw new InvalidDataException($"{path}: a lambdamart-towers ranker needs members.");
        var models = new TreeEnsembleRanker[members.Length];
        var towers = new TowerInfo[members.Length];
        for (var i = 0; i < members.Length; i++)
        {
            var m = members[i] ?? throw new InvalidDataException($"{path}: member {i + 1} is empty.");
            models[i] = Ensemble(schema, m.Trees, m.Bias, path, $"member {i + 1}: ");
            if (string.IsNullOrEmpty(m.Tower) || string.IsNullOrEmpty(m.Fingerprint))
                throw new InvalidDataException($"{path}: member {i + 1} does not name its tower and fingerprint.");
            towers[i] = new TowerInfo(m.Tower, m.Fingerprint);
        }
        try { return new TowerAveragedRanker(schema, models, towers); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    private static T Req<T>(T? value, string path, int tree) where T : class =>
        value ?? throw new InvalidDataException(tree >= 0 ? $"{path}: tree {tree} is incomplete." : $"{path}: model parameters are missing.");

    private sealed class ModelDto
    {
        public string? Format { get; set; }
        public string? Kind { get; set; }
        public SchemaDto? Schema { get; set; }
        public double Bias { get; set; }
        public TreeDto[]? Trees { get; set; }
        public float[]? Mean { get; set; }
        public float[]? Scale { get; set; }
        public float[]? Weights { get; set; }
        public string[]? Features { get; set; }
        public MemberDto[]? Members { get; set; }
        public ModelDto? Linear { get; set; }
        public ModelDto? Base { get; set; }
        public ModelDto? Upper { get; set; }
    }

    private sealed class MemberDto
    {
        public double Bias { get; set; }
        public TreeDto[]? Trees { get; set; }
        public int? Seed { get; set; }
        public int? Queries { get; set; }
        public int? DistinctQueries { get; set; }
        public string? Tower { get; set; }
        public string? Fingerprint { get; set; }
    }

    private sealed class SchemaDto
    {
        public int Version { get; set; }
        public string? Hash { get; set; }
        public string[]? Names { get; set; }
    }

    private sealed class TreeDto
    {
        public int[]? Feature { get; set; }
        public float[]? Threshold { get; set; }
        public int[]? Left { get; set; }
        public int[]? Right { get; set; }
        public double[]? Leaf { get; set; }
        public double Weight { get; set; }
    }
}

/// <summary>What a trained ranker is: its kind, features, data, folds, cross-validated metrics and feature importance.</summary>
public sealed class ModelCard
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The combiner kind.</summary>
    public string Kind { get; set; } = "";

    /// <summary>When it was trained (UTC).</summary>
    public DateTime TrainedUtc { get; set; } = DateTime.UtcNow;

    /// <summary>The feature schema (version and hash).</summary>
    public string Schema { get; set; } = "";

    /// <summary>Feature names in column order.</summary>
    public IList<string> Features { get; set; } = [];

    /// <summary>The training data: file names and counts.</summary>
    public IDictionary<string, string> Data { get; set; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Training options (trees, leaves, learning rate, ...).</summary>
    public IDictionary<string, string> Options { get; set; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Number of cross-validation folds (by query); 0 when not cross-validated.</summary>
    public int Folds { get; set; }

    /// <summary>
    /// Metrics per ranker (ranker name to metric name to mean): cross-validated when <see cref="Folds"/> is above 0,
    /// else measured as <see cref="Data"/> describes (a next-item ranker's: its test users after the cut).
    /// </summary>
    public IDictionary<string, IDictionary<string, double>> Metrics { get; set; } = new SortedDictionary<string, IDictionary<string, double>>(StringComparer.Ordinal);

    /// <summary>Feature importance of the final model (feature name to importance), largest first.</summary>
    public IList<KeyValuePair<string, double>> Importance { get; set; } = [];

    /// <summary>
    /// Fingerprints (<see cref="QueryFingerprint"/>) of the texts of every judged query the ranker learnt from, sorted
    /// and distinct; empty on cards written before they were recorded. <c>eval --ranker fused</c> counts the evaluated
    /// queries among them, whatever file, path or id they come under.
    /// </summary>
    public IList<string> TrainingQueries { get; set; } = [];

    /// <summary>
    /// A query text's fingerprint: the first 8 bytes of the SHA-256 of its <see cref="QueryTextComparer.Key"/>, in
    /// hex, so a traditional, full-width or differently spaced twin has the same one and the card holds no query text.
    /// </summary>
    public static string QueryFingerprint(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(QueryTextComparer.Key(Guard.NotNull(text)))).AsSpan(0, 8));

    /// <summary>Records the texts of the judged queries the ranker learnt from (<see cref="TrainingQueries"/>).</summary>
    public ModelCard RecordTrainingQueries(IEnumerable<string> texts)
    {
        Guard.NotNull(texts);
        TrainingQueries = texts.Select(QueryFingerprint).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return this;
    }

    /// <summary>How many of <paramref name="texts"/> (as <see cref="QueryTextComparer"/> sees them) the ranker learnt from.</summary>
    public int CountTrainedOn(IEnumerable<string> texts)
    {
        Guard.NotNull(texts);
        var trained = new HashSet<string>(TrainingQueries, StringComparer.Ordinal);
        return texts.Count(t => trained.Contains(QueryFingerprint(t)));
    }

    /// <summary>
    /// Reads <c>model-card.json</c> from <paramref name="directory"/>; null when there is none (rankers saved without a
    /// card). Throws <see cref="InvalidDataException"/> naming the file when it is not a card.
    /// </summary>
    public static ModelCard? Read(string directory)
    {
        Guard.NotNull(directory);
        var path = Path.Combine(directory, "model-card.json");
        if (!File.Exists(path)) return null;
        ModelCard card;
        try
        {
            card = JsonSerializer.Deserialize<ModelCard>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty model card.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a model card: {e.Message}", e);
        }
        // JSON null replaces a field's empty default: the readers of the card (search, eval, serve) met a NullReferenceException.
        foreach (var (field, value) in new (string, object?)[]
        {
            ("kind", card.Kind), ("schema", card.Schema), ("features", card.Features), ("data", card.Data), ("options", card.Options),
            ("metrics", card.Metrics), ("importance", card.Importance), ("training_queries", card.TrainingQueries),
        })
            if (value is null) throw new InvalidDataException($"{path}: not a model card: '{field}' is null.");
        return card;
    }

    /// <summary>The recall window the ranker was trained on (the card's <c>window</c>), or null when it records none.</summary>
    public int? TrainingWindow() =>
        Data.TryGetValue("window", out var w) && int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null;

    /// <summary>
    /// The card's importance in the order of <paramref name="names"/> (0 for a name the card does not list), or null
    /// when the card lists none of them.
    /// </summary>
    public double[]? ImportanceFor(IReadOnlyList<string> names)
    {
        Guard.NotNull(names);
        var byName = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (f, v) in Importance) byName[f] = v;
        var result = new double[names.Count];
        var found = false;
        for (var i = 0; i < names.Count; i++)
            if (byName.TryGetValue(names[i], out var v)) { result[i] = v; found = true; }
        return found ? result : null;
    }

    /// <summary>Writes <c>model-card.json</c> and <c>model-card.md</c> into <paramref name="directory"/>.</summary>
    public void Save(string directory)
    {
        Guard.NotNull(directory);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "model-card.json"), JsonSerializer.Serialize(this, Json));
        File.WriteAllText(Path.Combine(directory, "model-card.md"), ToMarkdown());
    }

    /// <summary>The card as a Markdown page.</summary>
    public string ToMarkdown()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"# Ranker model card: {Kind}").AppendLine();
        sb.AppendLine(ci, $"- trained: {TrainedUtc:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine(ci, $"- feature schema: {Schema}");
        sb.AppendLine(ci, $"- cross-validation: {(Folds > 0 ? $"{Folds} folds by query" : "none")}");
        foreach (var (k, v) in Data) sb.AppendLine(ci, $"- data {k}: {v}");
        foreach (var (k, v) in Options) sb.AppendLine(ci, $"- option {k}: {v}");
        if (TrainingQueries.Count > 0) sb.AppendLine(ci, $"- training queries: {TrainingQueries.Count:N0} distinct texts, fingerprinted in model-card.json");
        if (Metrics.Count > 0)
        {
            var names = Metrics.Values.SelectMany(m => m.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
            // A next-item ranker is scored on held-out users after its cut, not cross-validated: the heading must not say it was.
            sb.AppendLine().AppendLine(Folds > 0 ? "## Cross-validated metrics" : "## Metrics").AppendLine();
            if (Folds == 0) sb.AppendLine("Not cross-validated: measured as the data entries above describe.").AppendLine();
            sb.AppendLine("| ranker | " + string.Join(" | ", names) + " |");
            sb.AppendLine("|---|" + string.Concat(names.Select(_ => "---:|")));
            foreach (var (ranker, m) in Metrics)
                sb.AppendLine("| " + ranker + " | " + string.Join(" | ", names.Select(n => m.TryGetValue(n, out var v) ? v.ToString("F4", ci) : "")) + " |");
        }
        if (Importance.Count > 0)
        {
            sb.AppendLine().AppendLine("## Feature importance").AppendLine().AppendLine("| feature | importance |").AppendLine("|---|---:|");
            foreach (var (f, v) in Importance) sb.AppendLine(ci, $"| {f} | {v:F4} |");
        }
        sb.AppendLine().AppendLine("## Features").AppendLine().AppendLine(string.Join(", ", Features));
        return sb.ToString();
    }
}
