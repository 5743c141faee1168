using SearchRec.Deep.Training;
using Xunit;

namespace SearchRec.Deep.Tests;

public sealed class TeacherPairsTests
{
    [Fact]
    public void WhereTheTeacherOverrulesBm25ItsTopIsThePositiveAndBm25sTopTheHardNegative()
    {
        var pair = TeacherPairs.Pick("q", ["a", "b", "c"], [0.1f, 0.9f, 0.5f]);
        Assert.Equal(new TeacherPair("q", "b", "a"), pair);
    }

    [Fact]
    public void WhereTheTeacherAgreesWithBm25ItsSecondChoiceIsTheHardNegative()
    {
        var pair = TeacherPairs.Pick("q", ["a", "b", "c"], [0.9f, 0.1f, 0.5f]);
        Assert.Equal(new TeacherPair("q", "a", "c"), pair);
    }

    [Fact]
    public void ATieNeverOverrulesTheBetterBm25Rank()
    {
        Assert.Equal("a", TeacherPairs.Pick("q", ["a", "b"], [0.5f, 0.5f])!.Value.Positive);
        Assert.Equal("b", TeacherPairs.Pick("q", ["x", "b", "c"], [0.1f, 0.5f, 0.5f])!.Value.Positive);
    }

    [Fact]
    public void AQueryWhoseTeacherScoresAreCloserThanTheMarginIsDropped()
    {
        Assert.Null(TeacherPairs.Pick("q", ["a", "b"], [0.50f, 0.45f], minMargin: 0.1f));
        Assert.NotNull(TeacherPairs.Pick("q", ["a", "b"], [0.70f, 0.45f], minMargin: 0.1f));
    }

    [Fact]
    public void OneCandidateGivesAPairWithoutNegativeAndNoneGivesNothing()
    {
        Assert.Equal(new TeacherPair("q", "a", null), TeacherPairs.Pick("q", ["a"], [1f]));
        Assert.Null(TeacherPairs.Pick("q", [], []));
    }

    [Fact]
    public void MismatchedLengthsAndANegativeMarginAreRefusedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => TeacherPairs.Pick("q", ["a", "b"], [1f]));
        Assert.Equal("teacherScores", e.ParamName);
        var m = Assert.Throws<ArgumentOutOfRangeException>(() => TeacherPairs.Pick("q", ["a"], [1f], minMargin: -1));
        Assert.Equal("minMargin", m.ParamName);
    }

    [Fact]
    public void ManyNegativesStartWithBm25sOverruledTopThenFollowTheTeachersOrder()
    {
        var pairs = TeacherPairs.PickMany("q", ["a", "b", "c", "d", "e"], [0.5f, 0.9f, 0.1f, 0.7f, 0.6f], negatives: 3);
        Assert.Equal(["a", "d", "e"], pairs.Select(p => p.Negative!));
        Assert.All(pairs, p => Assert.Equal("b", p.Positive));
    }

    [Fact]
    public void ManyNegativesStopAtTheCandidatesThereAre()
    {
        Assert.Equal(2, TeacherPairs.PickMany("q", ["a", "b", "c"], [0.9f, 0.5f, 0.1f], negatives: 5).Count);
        Assert.Empty(TeacherPairs.PickMany("q", [], [], negatives: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => TeacherPairs.PickMany("q", ["a"], [1f], negatives: 0));
    }
}
