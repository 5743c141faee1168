using SearchRec.Core.Judgments;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Core.Tests;

public sealed class JudgmentReaderTests
{
    [Fact]
    public void Queries_users_and_qrels_are_read_skipping_blank_and_comment_lines()
    {
        using var dir = new TempDir();
        var queries = JudgmentReader.ReadQueries(dir.Write("q.tsv", "# header\n1\t连衣裙\n\n2\t iphone15 壳 \n"));
        Assert.Equal([("1", "连衣裙"), ("2", "iphone15 壳")], queries);
        var users = JudgmentReader.ReadQueryUsers(dir.Write("u.tsv", "1\t7\n2\t8\t1512230400\n"));
        Assert.Equal((7L, (long?)null), users["1"]);
        Assert.Equal((8L, (long?)1512230400), users["2"]);
        var qrels = JudgmentReader.ReadQrels(dir.Write("r.txt", "1 0 a 2\n1\t0\tb\t-1\n2 0 c 1\n1 0 a 1\n"));
        Assert.Equal(1, qrels["1"]["a"]);
        Assert.Equal(-1, qrels["1"]["b"]);
        Assert.Single(qrels["2"]);
    }

    [Fact]
    public void A_qrels_pair_graded_twice_differently_is_noted_once_for_the_file_and_the_later_grade_counts()
    {
        using var dir = new TempDir();
        var notes = new List<string>();
        var path = dir.Write("r.txt", "1 0 a 2\n1 0 b 0\n2 0 c 1\n1 0 b 0\n1 0 a 1\n2 0 c 0\n");
        var qrels = JudgmentReader.ReadQrels(path, notes.Add);

        Assert.Equal(1, qrels["1"]["a"]);
        Assert.Equal(0, qrels["2"]["c"]);
        // b's repeat agrees with itself: a copy, not a conflict.
        Assert.Equal([$"{path}: 2 pairs are graded twice with different grades (first: query '1' document 'a' graded 2 at line 1 and 1 at line 5); the later grade counts"], notes);
        notes.Clear();
        JudgmentReader.ReadQrels(dir.Write("ok.txt", "1 0 a 2\n1 0 a 2\n"), notes.Add);
        Assert.Empty(notes);
    }

    [Theory]
    [InlineData("q.tsv", "1\tA\n1\tB\n", "q.tsv:2", "twice")]
    [InlineData("q.tsv", "1\tA\n2\n", "q.tsv:2", "no tab")]
    [InlineData("q.tsv", "1\tA\n2\t  \n", "q.tsv:2", "'query' is empty")]
    public void A_bad_query_line_is_refused_naming_file_and_line(string name, string text, string where, string why)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<JudgmentFormatException>(() => JudgmentReader.ReadQueries(dir.Write(name, text)));
        Assert.Contains(where, e.Message);
        Assert.Contains(why, e.Message);
        Assert.Equal(2, e.Line);
    }

    [Theory]
    [InlineData("1\t7\n1\t8\n", "query '1' is given twice (first at line 1)")]   // which user typed it?
    [InlineData("1\t7\n2\t8\t1512230400\textra\n", "expected 'qid<TAB>user_id[<TAB>timestamp]', found 4 fields")]
    public void A_bad_query_user_line_is_refused_naming_file_and_line(string text, string why)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<JudgmentFormatException>(() => JudgmentReader.ReadQueryUsers(dir.Write("u.tsv", text)));
        Assert.EndsWith($"u.tsv:2: {why}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1 0 a\n", "4 fields")]
    [InlineData("1 0 a x\n", "'grade' is not an integer")]
    [InlineData("1 0 a 101\n", "out of range")]
    public void A_bad_qrels_line_is_refused_naming_the_field(string text, string why)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<JudgmentFormatException>(() => JudgmentReader.ReadQrels(dir.Write("r.txt", "1 0 z 1\n" + text)));
        Assert.Contains("r.txt:2", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void A_missing_file_is_a_file_not_found_error_naming_it()
    {
        var e = Assert.Throws<FileNotFoundException>(() => JudgmentReader.ReadQueryUsers("/nonexistent/users.tsv"));
        Assert.Contains("/nonexistent/users.tsv", e.Message);
    }
}
