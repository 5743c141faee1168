using SearchRec.Core.Judgments;
using SearchRec.Evaluation.Trec;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Evaluation.Tests;

public sealed class TrecFilesTests
{
    [Fact]
    public void Queries_are_read_skipping_blank_and_comment_lines()
    {
        using var dir = new TempDir();
        var path = dir.Write("q.tsv", "# header\n1\t连衣裙\n\n2\t华为 手机 \n");
        var queries = TrecFiles.ReadQueries(path);
        Assert.Equal([new EvalQuery("1", "连衣裙"), new EvalQuery("2", "华为 手机")], queries);
    }

    [Theory]
    [InlineData("1\tok\nno tab here\n", 2, "no tab")]
    [InlineData("1\tok\n1\tagain\n", 2, "duplicate query id '1'")]
    [InlineData("1\t  \n", 1, "'query' is empty")]
    [InlineData("\tquery\n", 1, "'qid' is empty")]
    public void A_bad_query_line_is_reported_with_its_line_number(string content, int line, string reason)
    {
        using var dir = new TempDir();
        var path = dir.Write("q.tsv", content);
        var e = Assert.Throws<JudgmentFormatException>(() => TrecFiles.ReadQueries(path));
        Assert.Equal(line, e.Line);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{path}:{line}:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Written_qrels_read_back_the_same_and_an_id_with_a_space_is_refused_leaving_no_file()
    {
        using var dir = new TempDir();
        var qrels = new Qrels();
        qrels.Set("q1", "t0", 2);
        qrels.Set("q1", "t1", 0);
        qrels.Set("q2", "t7", 1);
        TrecFiles.WriteQrels(qrels, dir.File("a/pairs.qrels"));
        var back = TrecFiles.ReadQrels(dir.File("a/pairs.qrels"));
        Assert.Equal(qrels.QueryIds, back.QueryIds);
        Assert.All(qrels.QueryIds, q => Assert.Equal(qrels.For(q), back.For(q)));

        qrels.Set("q3", "two words", 1);
        var e = Assert.Throws<ArgumentException>(() => TrecFiles.WriteQrels(qrels, dir.File("b.qrels")));
        Assert.Contains("'two words'", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("b.qrels")));
    }

    [Fact]
    public void Qrels_are_read_with_spaces_or_tabs_and_a_later_grade_wins()
    {
        using var dir = new TempDir();
        var path = dir.Write("qrels.tsv", "1 0 d1 1\n1\t0\td2\t0\n2 0 d9 2\n1 0 d1 2\n");
        var qrels = TrecFiles.ReadQrels(path);
        Assert.Equal(2, qrels.Count);
        Assert.Equal(2, qrels.For("1")["d1"]);
        Assert.Equal(0, qrels.For("1")["d2"]);
        Assert.True(qrels.HasRelevant("2"));
        Assert.False(qrels.HasRelevant("3"));
        Assert.Empty(qrels.For("3"));
    }

    [Theory]
    [InlineData("1 0 d1\n", "expected 4 fields")]
    [InlineData("1 0 d1 x\n", "'grade' is not an integer")]
    public void A_bad_qrels_line_names_the_line_and_field(string content, string reason)
    {
        using var dir = new TempDir();
        var path = dir.Write("qrels.tsv", "1 0 d0 1\n" + content);
        var e = Assert.Throws<JudgmentFormatException>(() => TrecFiles.ReadQrels(path));
        Assert.Equal(2, e.Line);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_written_run_reads_back_in_the_same_order_with_the_same_scores()
    {
        using var dir = new TempDir();
        var run = new TrecRun("my run");
        run.Set("q2", [("d3", 2.5f), ("d1", 1.25f), ("d3", 0.1f)]);
        run.Set("q1", [("d7", 0.3333333f)]);
        var path = dir.File("sub/run.trec");
        TrecFiles.WriteRun(run, path);

        var lines = File.ReadAllLines(path);
        Assert.Equal(["q2 Q0 d3 1 2.5 my_run", "q2 Q0 d1 2 1.25 my_run", "q1 Q0 d7 1 0.3333333 my_run"], lines);
        var back = TrecFiles.ReadRun(path);
        Assert.Equal("my_run", back.Name);
        Assert.Equal(["q2", "q1"], back.QueryIds);
        Assert.Equal(["d3", "d1"], back.DocIds("q2"));
        Assert.Equal(0.3333333f, back["q1"][0].Score);
    }

    [Theory]
    [InlineData("q1", "d 1", 2f, 1f, "document id 'd 1' is empty or holds a space")]
    [InlineData("q1", "d\t1", 2f, 1f, "holds a space, tab or line break")]
    [InlineData("q 1", "d1", 2f, 1f, "query id 'q 1' is empty or holds a space")]
    [InlineData("q1", "d1", 2f, float.NaN, "query 'q1', rank 2: document 'd2' has the score NaN")]
    [InlineData("q1", "d1", 2f, float.NegativeInfinity, "rank 2: document 'd2' has the score -Infinity")]
    [InlineData("q1", "d1", 1f, 2f, "query 'q1', rank 2: document 'd2' scores 2, above the 1 of rank 1")]
    public void A_run_that_would_not_read_back_as_ranked_is_refused_naming_the_query_and_rank_and_leaves_no_file(
        string qid, string doc, float first, float second, string reason)
    {
        using var dir = new TempDir();
        var run = new TrecRun("r");
        run.Set("q0", [("d9", 5f)]);
        run.Set(qid, [(doc, first), ("d2", second)]);
        var path = dir.File("run.trec");
        var e = Assert.Throws<ArgumentException>(() => TrecFiles.WriteRun(run, path));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Tied_scores_are_written_and_read_back_in_rank_order()
    {
        using var dir = new TempDir();
        var run = new TrecRun("r");
        run.Set("q", [("b", 1f), ("c", 1f), ("a", 1f), ("d", 0.5f)]);
        var path = dir.File("run.trec");
        TrecFiles.WriteRun(run, path);
        Assert.Equal(["b", "c", "a", "d"], TrecFiles.ReadRun(path).DocIds("q"));
    }

    [Theory]
    [InlineData("my run", "my_run")]
    [InlineData("a\tb\nc", "a_b_c")]
    [InlineData("", "run")]
    public void The_run_tag_is_written_as_one_field(string name, string tag)
    {
        var run = new TrecRun(name);
        run.Set("q", [("d", 1f)]);
        var writer = new StringWriter();
        TrecFiles.WriteRun(run, writer);
        Assert.Equal($"q Q0 d 1 1 {tag}\n", writer.ToString());
    }

    [Fact]
    public void A_run_is_ordered_by_score_and_tied_scores_by_rank_not_by_document_id_as_trec_eval()
    {
        using var dir = new TempDir();
        var path = dir.Write("run.trec", "1 Q0 a 1 0.5 r\n1 Q0 b 2 0.9 r\n1 Q0 c 3 0.5 r\n1 Q0 d 0 0.5 r\n");
        Assert.Equal(["b", "d", "a", "c"], TrecFiles.ReadRun(path).DocIds("1"));
    }

    [Fact]
    public void Lines_tied_in_both_score_and_rank_keep_their_file_order()
    {
        // Some tools write one rank (0 or 1) on every line; a tie on both must not be left to an unstable sort.
        using var dir = new TempDir();
        var docs = Enumerable.Range(0, 100).Select(i => "d" + i).ToList();
        var path = dir.Write("run.trec", string.Concat(docs.Select(d => $"1 Q0 {d} 0 1.0 r\n")));
        Assert.Equal(docs, TrecFiles.ReadRun(path).DocIds("1"));
    }

    [Theory]
    [InlineData("1 Q0 a 1 0.5\n", "expected 6 fields")]
    [InlineData("1 Q0 a one 0.5 r\n", "'rank' is not an integer")]
    [InlineData("1 Q0 a 1 NaN r\n", "'score' is not a finite number")]
    [InlineData("1 Q0 x 1 0.5 r\n", "document 'x' appears twice")]
    public void A_bad_run_line_names_the_line_and_field(string content, string reason)
    {
        using var dir = new TempDir();
        var path = dir.Write("run.trec", "1 Q0 x 9 0.1 r\n" + content);
        var e = Assert.Throws<JudgmentFormatException>(() => TrecFiles.ReadRun(path));
        Assert.Equal(2, e.Line);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Query_users_attach_users_and_timestamps_and_name_bad_fields()
    {
        using var dir = new TempDir();
        var users = dir.Write("qu.tsv", "1\t42\t1511539200\n2\t7\n");
        var queries = TrecFiles.WithUsers([new EvalQuery("1", "a"), new EvalQuery("2", "b"), new EvalQuery("3", "c")], users);
        Assert.Equal((42L, 1511539200L), (queries[0].UserId!.Value, queries[0].Timestamp!.Value));
        Assert.Equal(7, queries[1].UserId);
        Assert.Null(queries[1].Timestamp);
        Assert.Null(queries[2].UserId);

        var bad = dir.Write("bad.tsv", "1\t42\n2\tseven\n");
        var e = Assert.Throws<JudgmentFormatException>(() => TrecFiles.WithUsers([], bad));
        Assert.Equal(2, e.Line);
        Assert.Contains("'user_id'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_a_clear_error_naming_it()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TrecFiles.ReadQrels("/nonexistent/qrels.tsv"));
        Assert.Contains("/nonexistent/qrels.tsv", e.Message, StringComparison.Ordinal);
    }
}
