using SearchRec.Core.Events;
using Xunit;

namespace SearchRec.Core.Tests;

public sealed class EventSourceMergeTests
{
    private static UserEvent E(long user, long item, long ts, Behavior b = Behavior.View) => new(user, item, 1, b, ts);

    [Fact]
    public void A_later_source_adds_only_the_events_no_earlier_source_held_and_repeats_within_a_source_stay()
    {
        var merge = new EventSourceMerge();
        Assert.Equal(0, merge.Add([E(1, 10, 100), E(1, 10, 100), E(2, 20, 200)]));
        Assert.Equal(2, merge.Add([E(2, 20, 200), E(1, 10, 100), E(1, 10, 100, Behavior.Buy), E(3, 30, 300)]));
        Assert.Equal(3, merge.Add([E(3, 30, 300), E(1, 10, 100, Behavior.Buy), E(2, 20, 200), E(4, 40, 400), E(4, 40, 400)]));
        Assert.Equal([E(1, 10, 100), E(1, 10, 100), E(2, 20, 200), E(1, 10, 100, Behavior.Buy), E(3, 30, 300), E(4, 40, 400), E(4, 40, 400)], merge.Events);
        Assert.Equal(5, merge.Repeats);
    }
}
