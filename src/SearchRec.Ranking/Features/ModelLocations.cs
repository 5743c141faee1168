using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Deep.Scoring;
using SearchRec.Ranking.Models;

namespace SearchRec.Ranking.Features;

/// <summary>
/// Where the models of a <c>--models DIR</c> live. The layout is <c>DIR/ranker</c> (or <c>DIR</c> itself holding
/// <c>ranker.json</c>), <c>DIR/collab</c> (<c>collab.bin</c>) and <c>DIR/deep</c> (<c>deep-model.json</c>); the
/// models beside a ranker folder (<c>DIR/../collab</c>, <c>DIR/../deep</c>) are found too, but never a ranker beside it.
/// </summary>
public static class ModelLocations
{
    /// <summary>
    /// The folder holding <c>ranker.json</c> (<paramref name="dir"/> or <c>dir/ranker</c>), or null. Never a sibling:
    /// a ranker decides the features an evaluation computes, and <c>--models models/ens</c> took <c>models/ranker</c>'s.
    /// </summary>
    public static string? Ranker(string dir) => First(dir, RankerStore.ModelFile, "ranker", siblings: false);

    /// <summary>The folder holding the collaborative models, or null.</summary>
    public static string? Collab(string dir) => First(dir, "collab.bin", "collab");

    /// <summary>The folder holding the deep model (<c>deep-model.json</c> or an ensemble's <c>ensemble.json</c>), or null.</summary>
    public static string? Deep(string dir) => First(dir, "deep-model.json", "deep", DenseModels.EnsembleFile);

    /// <summary>
    /// The query-log prior file beside the ranker found from <paramref name="dir"/> (where <c>train-ranker --prior</c>
    /// copies it), else in <paramref name="dir"/>, <c>dir/prior</c> or a sibling <c>prior</c> folder, or null.
    /// </summary>
    public static string? Prior(string dir)
    {
        // A ranker in dir/ranker keeps its own copy there, which the folder rules below never reached.
        if (Ranker(dir) is { } ranker && File.Exists(Path.Combine(ranker, QueryLogPrior.FileName))) return Path.Combine(ranker, QueryLogPrior.FileName);
        return First(dir, QueryLogPrior.FileName, "prior") is { } d ? Path.Combine(d, QueryLogPrior.FileName) : null;
    }

    /// <summary>
    /// Opens the deep models a ranker with <paramref name="schema"/> reads from <paramref name="deepDir"/> (found
    /// beside the ranker in <paramref name="rankerDir"/>, or given): each tower's columns (<see cref="TowerSet"/>,
    /// checked to be as many as the schema's), the query–item scorer (one tower or an ensemble) and the behaviour
    /// tower, each null when the schema does not use it; and the query–item model's fingerprint when it was checked
    /// against the one the ranker's card records (<see cref="DeepFingerprintEntry"/>), else null. Throws naming what is
    /// missing; opens nothing on failure.
    /// </summary>
    public static (IDenseScorer? Text, TowerSet? Towers, BehaviourScorer? Behaviour, string? CheckedFingerprint) LoadDeep(string? deepDir, FeatureSchema schema, string rankerDir,
        DeepScorerOptions? options = null)
    {
        Guard.NotNull(schema);
        RefuseNextItem(schema, rankerDir);
        TowerSet? towers = null;
        IDenseScorer? text = null;
        string? fingerprint = null;
        try
        {
            if (TowerDeepFeatures.TowerCount(schema) is var k and > 0)
            {
                towers = TowerSet.Open(deepDir ?? throw new FileNotFoundException($"The ranker reads the deep features of {k} towers but no ensemble was found beside {rankerDir} (expected deep/{DenseModels.EnsembleFile} naming the towers it was trained with)."), options);
                if (towers.Count != k)
                    throw new RankerSchemaMismatchException($"The ranker reads the deep features of {k} towers, but {towers.Folder} names {towers.Count}; give it the ensemble it was trained with.");
            }
            if (schema.IndexOf("deep_query_item") >= 0)
            {
                var dir = deepDir ?? throw new FileNotFoundException($"The ranker uses deep query–item features but no deep model was found beside {rankerDir} (expected deep/deep-model.json or deep/ensemble.json; train with `searchrec train-deep`).");
                fingerprint = CheckDeepFingerprint(dir, rankerDir);
                text = DenseModels.Open(dir, options);
            }
            BehaviourScorer? behaviour = null;
            if (schema.IndexOf("deep_user_item") >= 0)
                behaviour = BehaviourScorer.Open(DenseModels.BehaviourFolder(deepDir ?? throw new FileNotFoundException($"The ranker uses deep user–item features but no deep model was found beside {rankerDir}.")), options);
            return (text, towers, behaviour, fingerprint);
        }
        catch
        {
            towers?.Dispose();
            (text as IDisposable)?.Dispose();
            throw;
        }
    }

    /// <summary>The model-card entry that records which deep model a ranker's query–item scores came from.</summary>
    public const string DeepFingerprintEntry = "deep_fingerprint";

    /// <summary>
    /// A short hash of what a deep model folder scores with (<see cref="TowerSet.Fingerprint"/>; for an ensemble,
    /// its members' in order, joined by commas): a retrained or swapped tower gives another.
    /// </summary>
    public static string DeepFingerprint(string deepDir)
    {
        Guard.NotNull(deepDir);
        return DenseModels.IsEnsemble(deepDir) ? string.Join(",", DenseModels.Members(deepDir).Select(TowerSet.Fingerprint)) : TowerSet.Fingerprint(deepDir);
    }

    /// <summary>
    /// Throws <see cref="RankerSchemaMismatchException"/> when the ranker in <paramref name="rankerDir"/> records in its
    /// card (<see cref="DeepFingerprintEntry"/>) another deep model than the one in <paramref name="deepDir"/>, as
    /// <see cref="LoadDeep"/> does before it opens one; returns the fingerprint compared, or null when the card records
    /// none. <paramref name="fingerprint"/> is the folder's when the caller has it, so its vectors are not hashed again.
    /// </summary>
    public static string? CheckDeepFingerprint(string deepDir, string rankerDir, string? fingerprint = null)
    {
        // The trees split on the recorded model's cosines; another tower's (retrained, or a folder given by mistake)
        // mean something else, silently.
        Guard.NotNull(deepDir);
        Guard.NotNull(rankerDir);
        var card = Models.ModelCard.Read(Ranker(rankerDir) ?? rankerDir);
        if (card is null || !card.Data.TryGetValue(DeepFingerprintEntry, out var recorded)) return null;
        var found = fingerprint ?? DeepFingerprint(deepDir);
        if (string.Equals(found, recorded, StringComparison.Ordinal)) return found;
        throw new RankerSchemaMismatchException(
            $"The deep model in {deepDir} (fingerprint {found}) is not the one the ranker in {rankerDir} was trained with (fingerprint {recorded}"
            + (card.Data.TryGetValue("deep", out var was) ? $"; {was}" : "") + "): its query–item scores would not mean what the trees learnt. "
            + "Give the ranker the deep model it was trained with (a deep/ folder in or beside its own; serve --deep names one for the control ranker, not a challenger), or train the ranker again with this one.");
    }

    /// <summary>
    /// The catalog statistics a ranker with <paramref name="schema"/> reads from beside its <c>ranker.json</c> (found
    /// from <paramref name="dir"/> as <see cref="Ranker"/> does): the title bigram document frequencies of the idf
    /// group and the query-log prior, each null when the schema does not use it. Throws
    /// <see cref="FileNotFoundException"/> naming the file the schema needs and the folder searched.
    /// </summary>
    public static (TitleBigramStats? TitleStats, QueryLogPrior? Prior) LoadRankerFiles(string dir, FeatureSchema schema)
    {
        Guard.NotNull(dir);
        Guard.NotNull(schema);
        TitleBigramStats? stats = null;
        if (schema.IndexOf("idf_coverage") >= 0)
        {
            var file = Ranker(dir) is { } r ? Path.Combine(r, TitleBigramStats.FileName) : null;
            if (file is null || !File.Exists(file))
                throw new FileNotFoundException($"The ranker uses idf features but {TitleBigramStats.FileName} was not found beside ranker.json in {dir} (train-ranker writes it).");
            stats = TitleBigramStats.Load(file);
        }
        QueryLogPrior? prior = null;
        if (schema.IndexOf("prior_hits") >= 0)
            prior = QueryLogPrior.Load(Prior(dir) ?? throw new FileNotFoundException($"The ranker uses the query-log prior but {QueryLogPrior.FileName} was not found in or beside {dir} (build it with `searchrec build-prior`)."));
        return (stats, prior);
    }

    /// <summary>
    /// Loads what a ranker with <paramref name="schema"/> needs from the folders next to <paramref name="dir"/>;
    /// throws naming what is missing. <paramref name="deep"/> says how the deep towers run (and which catalog their
    /// item vectors must cover: <see cref="DeepScorerOptions.CoverCatalog"/>).
    /// </summary>
    public static FeatureSources LoadSources(string dir, FeatureSchema schema, Func<string, Product?> products, DeepScorerOptions? deep = null)
    {
        Guard.NotNull(dir);
        Guard.NotNull(schema);
        Guard.NotNull(products);
        RefuseNextItem(schema, dir);
        CollabModels? collab = null;
        if (schema.IndexOf("cf_item_item") >= 0)
        {
            var c = Collab(dir) ?? throw new FileNotFoundException($"The ranker uses collaborative features but no collaborative models were found beside {dir} (expected collab/collab.bin; train with `searchrec train-cf`).");
            collab = CollabModels.Load(c);
        }
        var (text, towers, behaviour, _) = LoadDeep(Deep(dir), schema, dir, deep);
        if (text is not null && DenseModels.CatalogMismatch(text, id => products(id)?.Title, Deep(dir)!) is { } mismatch)
        {
            (text as IDisposable)?.Dispose();
            towers?.Dispose();
            throw new InvalidDataException(mismatch);
        }
        var (stats, prior) = LoadRankerFiles(dir, schema);
        return new FeatureSources { Collab = collab, Products = products, DeepText = text, DeepTowers = towers, DeepBehaviour = behaviour, TitleStats = stats, Prior = prior };
    }

    /// <summary>
    /// As <see cref="LoadSources(string, FeatureSchema, Func{string, Product?}, DeepScorerOptions?)"/> for a loaded ranker; a
    /// <see cref="TowerAveragedRanker"/> (alone or under a <see cref="StackedRanker"/>) is also checked against the towers found (count, then each tower's
    /// fingerprint in order), throwing <see cref="RankerSchemaMismatchException"/> naming the first that differs.
    /// </summary>
    public static FeatureSources LoadSources(string dir, IRankerModel ranker, Func<string, Product?> products, DeepScorerOptions? deep = null)
    {
        Guard.NotNull(ranker);
        var sources = LoadSources(dir, ranker.Schema, products, deep);
        if (TowerAveragedRanker.In(ranker) is { } averaged && sources.DeepTowers is { } towers)
        {
            try { towers.CheckFor(averaged); }
            catch
            {
                towers.Dispose();
                throw;
            }
        }
        return sources;
    }

    // A next-item ranker reads none of the search features: say what it is, not which search source is missing.
    internal static void RefuseNextItem(FeatureSchema schema, string? rankerDir)
    {
        if (NextItem.NextItemRanking.IsNextItemSchema(schema))
            throw new RankerSchemaMismatchException(
                $"The ranker{(rankerDir is null ? "" : " in " + rankerDir)} is a next-item ranker (feature schema {schema}): it orders a user's recommendations, not search results. Serve it with `searchrec serve … --feed-ranker`, evaluate it with `searchrec eval-rec --model fused --ranker`, or look at one user's feed with `searchrec recommend`.");
    }

    // The nearest folder holding either marker (dir, then dir/sub, then dir/../sub).
    private static string? First(string dir, string marker, string sub, string? otherMarker = null, bool siblings = true)
    {
        Guard.NotNull(dir);
        foreach (var candidate in siblings ? new[] { dir, Path.Combine(dir, sub), Path.Combine(dir, "..", sub) } : [dir, Path.Combine(dir, sub)])
            if (File.Exists(Path.Combine(candidate, marker)) || (otherMarker is not null && File.Exists(Path.Combine(candidate, otherMarker))))
                return Path.GetFullPath(candidate);
        return null;
    }
}
