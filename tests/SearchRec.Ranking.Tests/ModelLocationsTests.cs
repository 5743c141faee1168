using SearchRec.Ranking.Features;
using SearchRec.Ranking.Models;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Ranking.Tests;

public sealed class ModelLocationsTests
{
    [Fact]
    public void A_ranker_folder_finds_the_models_beside_it_but_a_folder_never_takes_a_ranker_from_beside_it()
    {
        using var dir = new TempDir();
        var models = dir.File("models");
        foreach (var sub in new[] { "ranker", "collab", "deep", "ens" }) Directory.CreateDirectory(Path.Combine(models, sub));
        RankerStore.Save(new WeightedRanker(SyntheticData.Schema, ["signal"], [1f]), Path.Combine(models, "ranker"));
        File.WriteAllText(Path.Combine(models, "collab", "collab.bin"), "");
        File.WriteAllText(Path.Combine(models, "deep", "deep-model.json"), "{}");

        // models/ranker is a ranker folder: its collaborative and deep models are its siblings.
        Assert.Equal(Path.GetFullPath(Path.Combine(models, "ranker")), ModelLocations.Ranker(Path.Combine(models, "ranker")));
        Assert.Equal(Path.GetFullPath(Path.Combine(models, "collab")), ModelLocations.Collab(Path.Combine(models, "ranker")));
        Assert.Equal(Path.GetFullPath(Path.Combine(models, "deep")), ModelLocations.Deep(Path.Combine(models, "ranker")));
        Assert.Equal(Path.GetFullPath(Path.Combine(models, "ranker")), ModelLocations.Ranker(models));
        // models/ens holds no ranker: before, it took models/ranker's, which then decided an evaluation's features.
        Assert.Null(ModelLocations.Ranker(Path.Combine(models, "ens")));
    }

    [Fact]
    public void A_ranker_in_a_ranker_subfolder_reads_the_prior_train_ranker_copied_beside_it()
    {
        using var dir = new TempDir();
        var models = dir.File("models");
        Directory.CreateDirectory(Path.Combine(models, "ranker"));
        Directory.CreateDirectory(Path.Combine(models, "prior"));
        RankerStore.Save(new WeightedRanker(SyntheticData.Schema, ["signal"], [1f]), Path.Combine(models, "ranker"));
        var own = Path.Combine(models, "ranker", QueryLogPrior.FileName);
        File.WriteAllText(own, "");

        Assert.Equal(Path.GetFullPath(own), ModelLocations.Prior(models));
        Assert.Equal(Path.GetFullPath(own), ModelLocations.Prior(Path.Combine(models, "ranker")));

        // Without a copy beside the ranker, the folder rules stand: models/prior.
        File.Delete(own);
        File.WriteAllText(Path.Combine(models, "prior", QueryLogPrior.FileName), "");
        Assert.Equal(Path.GetFullPath(Path.Combine(models, "prior", QueryLogPrior.FileName)), ModelLocations.Prior(models));
    }
}
