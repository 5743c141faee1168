using System.Text.Json;
using SearchRec.Core;

namespace SearchRec.Deep.Scoring;

/// <summary>
/// Opens the text scorer of a models folder: one tower (<c>deep-model.json</c>) or an ensemble named by
/// <c>ensemble.json</c>, <c>{"members": ["../deep-s42", "../deep-s7"]}</c> (folders of <c>train-deep</c>, relative to
/// the file's folder), opened as a <see cref="TowerEnsemble"/>.
/// </summary>
public static class DenseModels
{
    /// <summary>The file naming an ensemble's members.</summary>
    public const string EnsembleFile = "ensemble.json";

    /// <summary>True when <paramref name="dir"/> holds <see cref="EnsembleFile"/>.</summary>
    public static bool IsEnsemble(string dir) => File.Exists(Path.Combine(Guard.NotNull(dir), EnsembleFile));

    /// <summary>True when <paramref name="dir"/> holds a single tower or an ensemble file.</summary>
    public static bool Exists(string dir) => IsEnsemble(dir) || File.Exists(Path.Combine(Guard.NotNull(dir), DeepModelManifest.FileName));

    /// <summary>
    /// The folder to read a behaviour tower from: <paramref name="dir"/> itself, or the one tower an
    /// <see cref="EnsembleFile"/> in it names. Throws <see cref="InvalidDataException"/> for an ensemble of several
    /// towers, whose behaviour towers would be ambiguous.
    /// </summary>
    public static string BehaviourFolder(string dir)
    {
        if (!IsEnsemble(dir)) return dir;
        var members = Members(dir);
        if (members.Count != 1)
            throw new InvalidDataException($"'{Path.Combine(dir, EnsembleFile)}' names {members.Count} towers; the user–item features read one behaviour tower, so give its train-deep folder instead.");
        return members[0];
    }

    /// <summary>
    /// Writes <see cref="EnsembleFile"/> in <paramref name="dir"/> (created when missing) naming
    /// <paramref name="members"/> in order, each relative to <paramref name="dir"/> so the folders can move together.
    /// Returns the file's path; <see cref="Members"/> reads the same full paths back.
    /// </summary>
    public static string WriteEnsemble(string dir, IReadOnlyList<string> members)
    {
        Guard.NotNull(dir);
        Guard.NotNull(members);
        if (members.Count == 0) throw new ArgumentException("An ensemble needs at least one tower folder.", nameof(members));
        var full = Path.GetFullPath(dir);
        Directory.CreateDirectory(full);
        var names = new string[members.Count];
        for (var i = 0; i < names.Length; i++) names[i] = Path.GetRelativePath(full, Path.GetFullPath(members[i]));
        var file = Path.Combine(full, EnsembleFile);
        File.WriteAllText(file, JsonSerializer.Serialize(new { members = names }) + "\n");
        return file;
    }

    /// <summary>
    /// Null when the text tower behind <paramref name="scorer"/> was trained on this catalog, else why not. Of up to
    /// 200 of its items spread over the item vectors, those the catalog holds must mostly carry the title the tower
    /// encoded: a tower of another catalog scores item ids that now name other products (nDCG near 0) without an error.
    /// </summary>
    /// <param name="scorer">An opened text tower or ensemble.</param>
    /// <param name="titleOf">The catalog's title of a product id; null when it does not hold the id.</param>
    /// <param name="name">The tower's folder, for the message.</param>
    public static string? CatalogMismatch(IDenseScorer scorer, Func<string, string?> titleOf, string name)
    {
        Guard.NotNull(titleOf);
        var items = Guard.NotNull(scorer) switch
        {
            DeepScorer d => d.Items,
            TowerEnsemble e => e.Items,
            _ => null,
        };
        if (items is null || items.Count == 0) return null;
        int step = Math.Max(1, items.Count / 200), held = 0, same = 0;
        string? example = null;
        for (var i = 0; i < items.Count; i += step)
        {
            if (titleOf(items.Ids[i]) is not { } title) continue;
            held++;
            if (string.Equals(title.Trim(), items.Texts[i].Trim(), StringComparison.Ordinal)) same++;
            else example ??= $"item {items.Ids[i]} is '{items.Texts[i]}' in the tower and '{title}' in the catalog";
        }
        int sampled = (items.Count + step - 1) / step;
        if (held == 0)
            return $"the text tower in {name} was trained on another catalog: none of {sampled} of its items is in this one. Train it on this catalog (searchrec train-deep --catalog FILE).";
        return same * 2 >= held ? null
            : $"the text tower in {name} was trained on another catalog: of {held} of its items in this one, {same} carry the title it encoded ({example}). Train it on this catalog (searchrec train-deep --catalog FILE).";
    }

    /// <summary>
    /// The members' folders (full paths, in file order) of the ensemble in <paramref name="dir"/>. Throws
    /// <see cref="InvalidDataException"/> naming the file or the member when the list is malformed, a member is listed
    /// twice or a member folder has no <c>deep-model.json</c>.
    /// </summary>
    public static IReadOnlyList<string> Members(string dir)
    {
        var file = Path.Combine(Guard.NotNull(dir), EnsembleFile);
        string[]? members;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("members", out var m) || m.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"'{file}': expected {{\"members\": [\"folder\", ...]}}.");
            members = new string[m.GetArrayLength()];
            var i = 0;
            foreach (var e in m.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(e.GetString()))
                    throw new InvalidDataException($"'{file}': members[{i}] is not a folder name.");
                members[i++] = e.GetString()!;
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{file}': not valid JSON ({e.Message}).", e);
        }
        if (members.Length == 0) throw new InvalidDataException($"'{file}': members is empty; an ensemble needs at least one tower.");
        var full = new string[members.Length];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < members.Length; i++)
        {
            full[i] = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, members[i]));
            if (!seen.Add(full[i])) throw new InvalidDataException($"'{file}': member '{members[i]}' is listed twice.");
            if (!File.Exists(Path.Combine(full[i], DeepModelManifest.FileName)))
                throw new InvalidDataException($"'{file}': member '{members[i]}' ({full[i]}) has no {DeepModelManifest.FileName}; train it with `searchrec train-deep`.");
        }
        return full;
    }

    /// <summary>
    /// Opens the scorer of <paramref name="dir"/>: a <see cref="TowerEnsemble"/> when it holds <see cref="EnsembleFile"/>,
    /// else a <see cref="DeepScorer"/>. An ensemble member whose items differ from the first member's (another
    /// catalog) is refused naming it. The caller disposes the result.
    /// </summary>
    public static IDenseScorer Open(string dir, DeepScorerOptions? options = null)
    {
        Guard.NotNull(dir);
        if (!IsEnsemble(dir)) return DeepScorer.Open(dir, options);
        var paths = Members(dir);
        var opened = new List<DeepScorer>(paths.Count);
        try
        {
            foreach (var path in paths)
            {
                DeepScorer member;
                try { member = DeepScorer.Open(path, options); }
                catch (Exception e) when (e is InvalidDataException or FileNotFoundException or IOException)
                {
                    throw new InvalidDataException($"'{Path.Combine(dir, EnsembleFile)}': member '{path}' cannot be opened: {e.Message}", e);
                }
                opened.Add(member);
                var first = opened[0].Items;
                var items = member.Items;
                var example = items.Count == first.Count ? MissingId(first, items) : null;
                if (items.Count != first.Count || example is not null)
                    throw new InvalidDataException($"'{Path.Combine(dir, EnsembleFile)}': member '{path}' has {items.Count:N0} items against {first.Count:N0} in '{paths[0]}'" +
                        (example is not null ? $" ('{example}' is not in the first)" : "") + "; every member must be trained on the same catalog.");
            }
            try { return TowerEnsemble.Create(opened, paths); }
            catch (ArgumentException e) { throw new InvalidDataException($"'{Path.Combine(dir, EnsembleFile)}': {e.Message}", e); }
        }
        catch
        {
            foreach (var m in opened) m.Dispose();
            throw;
        }
    }

    /// <summary>A line naming the scorer: the tower or the ensemble's members, and any hubness correction.</summary>
    public static string Describe(IDenseScorer scorer) => Guard.NotNull(scorer) switch
    {
        TowerEnsemble e => $"mean cosine of {e.Count} towers: {string.Join(", ", e.MemberNames)}" +
            (e.HubnessCorrected ? $"; each with a CSLS hubness correction, the mean penalty subtracted ({string.Join("; ", e.MemberHubness.Select(h => h.ToString()).Distinct())})" : ""),
        DeepScorer { Hubness: { } h } d => $"one tower ({d.Dimension} dims), {h}",
        DeepScorer d => $"one tower ({d.Dimension} dims)",
        _ => scorer.GetType().Name,
    };

    // An id of `other` that `first` lacks, or null when every id is in both (the counts being equal).
    private static string? MissingId(ItemVectors first, ItemVectors other)
    {
        for (var i = 0; i < other.Count; i++)
            if (!first.Index.ContainsKey(other.Ids[i])) return other.Ids[i];
        return null;
    }
}
