using SearchRec.Core;
using SearchRec.Core.Events;
using Xunit;

namespace SearchRec.Collab.Tests;

public class EventCsvReaderTests
{
    private static (List<UserEvent> Events, List<ImportProblem> Problems) Read(string text)
    {
        var problems = new List<ImportProblem>();
        var events = EventCsvReader.Read(new StringReader(text), "f.csv", problems.Add).ToList();
        return (events, problems);
    }

    [Fact]
    public void Valid_lines_become_events_with_their_fields()
    {
        var (events, problems) = Read("1,2268318,2520377,pv,1511544070\n7,5,9,buy,1511544071\r\n");
        Assert.Empty(problems);
        Assert.Equal(new UserEvent(1, 2268318, 2520377, Behavior.View, 1511544070), events[0]);
        Assert.Equal(new UserEvent(7, 5, 9, Behavior.Buy, 1511544071), events[1]);
    }

    [Fact]
    public void Each_kind_of_bad_line_is_reported_with_its_line_and_skipped_and_nothing_else_is_lost()
    {
        var text = string.Join("\n",
            "1,10,100,pv,1000",        // 1 ok
            "1,11,100,look,1001",      // 2 unknown behaviour
            "1,12,100,pv,yesterday",   // 3 timestamp not a number
            "-5,13,100,pv,1002",       // 4 negative id
            "",                        // 5 blank
            "2,14,100,cart,1003",      // 6 ok
            "2,15,100,fav,1004",       // 7 ok
            "2,16,10");                // 8 truncated last line (no newline)
        var (events, problems) = Read(text);
        Assert.Equal(new long[] { 10, 14, 15 }, events.Select(e => e.ItemId));
        Assert.Equal(new long[] { 2, 3, 4, 5, 8 }, problems.Select(p => p.Line));
        Assert.Contains("behavior", problems[0].Reason);
        Assert.Contains("look", problems[0].Reason);
        Assert.Contains("timestamp", problems[1].Reason);
        Assert.Contains("user_id", problems[2].Reason);
        Assert.Contains("negative", problems[2].Reason);
        Assert.Contains("blank", problems[3].Reason);
        Assert.Contains("truncated", problems[4].Reason);
        Assert.All(problems, p => Assert.Equal("f.csv", p.File));
    }

    [Fact]
    public void A_valid_last_line_without_newline_is_kept()
    {
        var (events, problems) = Read("1,10,100,pv,1000\n1,11,100,buy,1001");
        Assert.Empty(problems);
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public void A_header_line_is_skipped_silently()
    {
        var (events, problems) = Read("user_id,item_id,category_id,behavior,timestamp\n1,10,100,pv,1000\n");
        Assert.Empty(problems);
        Assert.Single(events);
    }

    [Fact]
    public void Lines_longer_than_the_read_buffer_are_handled()
    {
        var longLine = "1,10,100,pv," + new string('9', 70_000);
        var (events, problems) = Read("1,10,100,pv,1000\n" + longLine + "\n2,3,4,fav,5\n");
        Assert.Equal(2, events.Count);
        Assert.Single(problems);
        Assert.Equal(2, problems[0].Line);
    }

    [Fact]
    public void A_problem_in_a_file_names_the_file_as_given_so_two_files_of_one_name_are_told_apart()
    {
        using var dir = new SearchRec.Testing.TempDir();
        Directory.CreateDirectory(dir.File("day1"));
        Directory.CreateDirectory(dir.File("day2"));
        var first = dir.Write("day1/events.csv", "1,10,100,pv,1000\n");
        var second = dir.Write("day2/events.csv", "1,11,100,look,1001\n");
        var problems = new List<ImportProblem>();

        foreach (var path in new[] { first, second }) EventCsvReader.ReadFile(path, problems.Add, storedAt: null).ToList();

        Assert.Equal($"{second}:1: ", Assert.Single(problems).ToString()[..($"{second}:1: ".Length)]);
    }
}
