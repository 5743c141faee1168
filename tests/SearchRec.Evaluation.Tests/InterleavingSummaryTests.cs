using SearchRec.Evaluation.Interleaving;
using SearchRec.Ranking.Interleaving;
using Xunit;

namespace SearchRec.Evaluation.Tests;

public sealed class InterleavingSummaryTests
{
    [Fact]
    public void Lists_without_engagement_count_as_impressions_only_and_ties_split_the_preference()
    {
        InterleavingCredit[] credits =
        [
            new(0, 0), new(0, 0),           // shown, nothing engaged
            new(2, 1), new(0, 1), new(0, 3), new(1, 2), new(1, 1),
        ];
        var s = InterleavingSummary.Of(credits);
        Assert.Equal(new InterleavingSummary(7, 5, 1, 3, 1), s);
        Assert.Equal((3 + 0.5) / 5 - 0.5, s.Preference, 12);
        Assert.Equal(0.625, s.PValue, 12); // sign test of 3 wins against 1
    }

    [Fact]
    public void No_engagement_gives_no_preference_and_no_evidence()
    {
        var s = InterleavingSummary.Of([new InterleavingCredit(0, 0)]);
        Assert.Equal(0, s.Preference);
        Assert.Equal(1, s.PValue);
    }
}
