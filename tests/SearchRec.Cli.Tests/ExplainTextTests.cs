using SearchRec.Cli.Commands;
using Xunit;

namespace SearchRec.Cli.Tests;

public sealed class ExplainTextTests
{
    [Theory]
    [InlineData(float.NaN, "F4", "unknown")]
    [InlineData(0.5f, "F4", "0.5000")]
    [InlineData(-2f, "G4", "-2")]
    public void A_missing_feature_value_prints_as_unknown_and_a_known_one_in_the_invariant_culture(float value, string format, string expected) =>
        Assert.Equal(expected, ExplainText.Value(value, format));
}
