using System.Security.Cryptography;
using SearchRec.Deep;
using SearchRec.Deep.Scoring;
using SearchRec.Ranking.Models;

namespace SearchRec.Ranking.Features;

/// <summary>
/// The text towers of an ensemble folder (<c>ensemble.json</c>, or one tower folder) opened one by one, in file order,
/// for <see cref="TowerDeepFeatures"/>; each with a fingerprint (a hash of its item vectors) that
/// <see cref="TowerAveragedRanker"/> records, so loading can tell that tower k is the one member k was trained
/// with. Owns and disposes the towers.
/// </summary>
public sealed class TowerSet : IDisposable
{
    private readonly DeepScorer[] _scorers;

    private TowerSet(DeepScorer[] scorers, string[] names, string[] fingerprints, string folder)
    {
        _scorers = scorers;
        Names = names;
        Fingerprints = fingerprints;
        Folder = folder;
    }

    /// <summary>The towers, in ensemble order.</summary>
    public IReadOnlyList<DeepScorer> Scorers => _scorers;

    /// <summary>Their folders (full paths).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Their fingerprints (see <see cref="Fingerprint"/>).</summary>
    public IReadOnlyList<string> Fingerprints { get; }

    /// <summary>The folder the set was opened from.</summary>
    public string Folder { get; }

    /// <summary>Number of towers.</summary>
    public int Count => _scorers.Length;

    /// <summary>The towers as the ranker records them.</summary>
    public IReadOnlyList<TowerInfo> Info()
    {
        var info = new TowerInfo[Count];
        for (var k = 0; k < info.Length; k++) info[k] = new TowerInfo(Names[k], Fingerprints[k]);
        return info;
    }

    /// <summary>
    /// Opens the towers named by <paramref name="dir"/>'s <c>ensemble.json</c> (or the one tower in
    /// <paramref name="dir"/>). A missing member, one listed twice, or one trained on another catalog (another item
    /// count) is refused naming it.
    /// </summary>
    public static TowerSet Open(string dir, DeepScorerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dir);
        if (!DenseModels.Exists(dir))
            throw new FileNotFoundException($"No deep model in {dir}: expected {DenseModels.EnsembleFile} naming the towers or {DeepModelManifest.FileName}.");
        var paths = DenseModels.IsEnsemble(dir) ? DenseModels.Members(dir) : [Path.GetFullPath(dir)];
        var opened = new List<DeepScorer>(paths.Count);
        try
        {
            var prints = new string[paths.Count];
            for (var k = 0; k < paths.Count; k++)
            {
                DeepScorer tower;
                try { tower = DeepScorer.Open(paths[k], options); }
                catch (Exception e) when (e is InvalidDataException or FileNotFoundException or IOException)
                {
                    throw new InvalidDataException($"{dir}: tower {k + 1} ({paths[k]}) cannot be opened: {e.Message}", e);
                }
                opened.Add(tower);
                if (tower.ItemCount != opened[0].ItemCount)
                    throw new InvalidDataException($"{dir}: tower {k + 1} ({paths[k]}) has {tower.ItemCount:N0} items against {opened[0].ItemCount:N0} in tower 1 ({paths[0]}); every tower must be trained on the same catalog.");
                prints[k] = Fingerprint(paths[k]);
            }
            return new TowerSet([.. opened], [.. paths], prints, Path.GetFullPath(dir));
        }
        catch
        {
            foreach (var t in opened) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A short hash of a tower folder's item vectors file (what the tower computed for the catalog) and, when present,
    /// its hubness penalties (<see cref="HubnessCorrection.FileName"/>), which change the scores too.
    /// </summary>
    public static string Fingerprint(string towerDir)
    {
        ArgumentNullException.ThrowIfNull(towerDir);
        var text = DeepModelManifest.Read(towerDir).Text ?? throw new InvalidDataException($"{towerDir}: {DeepModelManifest.FileName} has no text model.");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, Path.Combine(towerDir, text.ItemVectors + ".bin"));
        var hubness = Path.Combine(towerDir, HubnessCorrection.FileName);
        if (File.Exists(hubness)) Append(hash, hubness);
        return Convert.ToHexStringLower(hash.GetHashAndReset(), 0, 8);
    }

    // Streamed: a 1M-item vectors file is hundreds of MB.
    private static void Append(IncrementalHash hash, string file)
    {
        using var stream = File.OpenRead(file);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0) hash.AppendData(buffer, 0, read);
    }

    /// <summary>
    /// Throws <see cref="RankerSchemaMismatchException"/> unless these are the towers <paramref name="ranker"/> was
    /// trained with, in the same order; the message names the count or the first tower that differs.
    /// </summary>
    public void CheckFor(TowerAveragedRanker ranker)
    {
        ArgumentNullException.ThrowIfNull(ranker);
        if (ranker.Towers.Count != Count)
            throw new RankerSchemaMismatchException($"The lambdamart-towers ranker was trained with {ranker.Towers.Count} towers, but {Folder} names {Count} ({string.Join(", ", Names)}); give it the ensemble it was trained with ({string.Join(", ", ranker.Towers.Select(t => t.Name))}).");
        for (var k = 0; k < Count; k++)
        {
            if (string.Equals(ranker.Towers[k].Fingerprint, Fingerprints[k], StringComparison.Ordinal)) continue;
            var elsewhere = ranker.Towers.ToList().FindIndex(t => t.Fingerprint == Fingerprints[k]);
            var hint = elsewhere >= 0 ? $"it is the ranker's tower {elsewhere + 1}: the ensemble lists the towers in another order" : "it is not one of the ranker's towers";
            throw new RankerSchemaMismatchException($"Tower {k + 1} of {Folder} ({Names[k]}, fingerprint {Fingerprints[k]}) is not the tower the ranker's member {k + 1} was trained with ({ranker.Towers[k].Name}, fingerprint {ranker.Towers[k].Fingerprint}); {hint}.");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _scorers) t.Dispose();
    }
}
