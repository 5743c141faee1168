using SearchRec.Ranking.Interleaving;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Ranking.Tests;

public sealed class TeamDraftTests
{
    private static readonly string[] A = ["a1", "a2", "a3", "s1", "a4", "a5"];
    private static readonly string[] B = ["s1", "b1", "b2", "a1", "b3", "b4"];

    [Fact]
    public void Every_prefix_holds_as_many_picks_of_one_team_as_of_the_other_give_or_take_one()
    {
        for (ulong seed = 0; seed < 200; seed++)
        {
            var list = TeamDraft.Interleave(A, B, 10, seed);
            Assert.Equal(list.Length, list.Select(x => x.ItemId).Distinct().Count());
            var a = 0;
            var b = 0;
            foreach (var item in list)
            {
                if (item.Team == InterleavingTeam.Control) a++;
                else b++;
                Assert.InRange(a - b, -1, 1);
            }
        }
    }

    [Fact]
    public void Each_team_drafts_its_own_best_item_not_yet_shown_in_its_own_order()
    {
        for (ulong seed = 0; seed < 200; seed++)
        {
            var list = TeamDraft.Interleave(A, B, 8, seed);
            var shown = new HashSet<string>();
            foreach (var item in list)
            {
                var own = item.Team == InterleavingTeam.Control ? A : B;
                Assert.Equal(own.First(x => !shown.Contains(x)), item.ItemId);
                shown.Add(item.ItemId);
            }
        }
    }

    [Fact]
    public void The_coin_gives_either_team_the_first_pick_and_the_same_seed_the_same_list()
    {
        var firsts = Enumerable.Range(0, 400).Select(s => TeamDraft.Interleave(A, B, 4, (ulong)s)[0].Team).ToList();
        Assert.InRange(firsts.Count(t => t == InterleavingTeam.Control), 160, 240);
        Assert.Equal(TeamDraft.Interleave(A, B, 6, 77), TeamDraft.Interleave(A, B, 6, 77));
        Assert.Equal(TeamDraft.SeedOf("7|连衣裙"), TeamDraft.SeedOf("7|连衣裙"));
        Assert.NotEqual(TeamDraft.SeedOf("7|连衣裙"), TeamDraft.SeedOf("8|连衣裙"));
    }

    [Fact]
    public void When_one_list_runs_out_the_other_fills_the_rest_and_k_caps_the_length()
    {
        var list = TeamDraft.Interleave(["x"], ["y1", "y2", "y3", "x"], 10, 3);
        Assert.Equal(4, list.Length);
        Assert.Equal(["x", "y1", "y2", "y3"], list.Select(i => i.ItemId).Order());
        Assert.Single(list, i => i.Team == InterleavingTeam.Control);
        Assert.Equal(3, TeamDraft.Interleave(A, B, 3, 1).Length);
        Assert.Empty(TeamDraft.Interleave([], [], 5, 1));
        Assert.Empty(TeamDraft.Interleave(A, B, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TeamDraft.Interleave(A, B, -1, 1));
    }

    [Fact]
    public void Identical_rankings_always_tie_whatever_the_user_engages_with()
    {
        // Each pair of picks takes the next two places, one per team, so a user who engages top-down never favours one ranker.
        for (ulong seed = 0; seed < 50; seed++)
        {
            var list = TeamDraft.Interleave(A, A, 6, seed);
            Assert.Equal(A, list.Select(i => i.ItemId));
            for (var n = 2; n <= 6; n += 2)
            {
                var credit = TeamDraft.Credit(list, A.Take(n).ToHashSet());
                Assert.Equal(credit.Control, credit.Challenger);
                Assert.Null(credit.Winner);
            }
        }
    }

    [Fact]
    public void Credit_counts_each_engaged_item_once_for_the_team_that_drafted_it()
    {
        InterleavedItem[] shown = [new("p", InterleavingTeam.Control), new("q", InterleavingTeam.Challenger), new("r", InterleavingTeam.Challenger)];
        var credit = TeamDraft.Credit(shown, new HashSet<string> { "q", "r", "not-shown" });
        Assert.Equal(new InterleavingCredit(0, 2), credit);
        Assert.Equal(InterleavingTeam.Challenger, credit.Winner);
        Assert.False(TeamDraft.Credit(shown, new HashSet<string>()).Engaged);
    }

    [Fact]
    public void A_log_read_back_holds_one_instance_of_each_item_id_query_and_comparison_however_many_pages_repeat_them()
    {
        using var dir = new TempDir();
        var path = dir.File("interleave.jsonl");
        var rankers = new InterleavedRankers("ranker", "lambdamart", "ranker-b", "weighted");
        using (var log = new JsonlInterleavingLog(path))
            for (var page = 0; page < 3; page++)
                log.Log(new InterleavingImpression($"r{page}", DateTimeOffset.UnixEpoch.AddSeconds(page), 7, "连衣裙", 0,
                    [new("101", InterleavingTeam.Control), new("102", InterleavingTeam.Challenger)], rankers));

        var read = JsonlInterleavingLog.Read([path]).ToList();

        Assert.Equal(3, read.Count);
        Assert.Equal(rankers, read[0].Rankers);
        Assert.Equal(["101", "102"], read[2].Items.Select(i => i.ItemId));
        // Millions of pages are held at once by interleave-report: repeated text is kept once.
        Assert.Same(read[0].Rankers, read[2].Rankers);
        Assert.Same(read[0].Query, read[2].Query);
        Assert.Same(read[0].Items[1].ItemId, read[2].Items[1].ItemId);
    }
}
