using System.Globalization;
using SearchRec.Collab.Models;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Evaluation.Metrics;

namespace SearchRec.Evaluation.Recommendation;

/// <summary>
/// The offline recommendation protocol: every event before the cut is training data; for each test user, their
/// events before the cut are the history and the distinct items they touched at or after the cut are the truth
/// (binary relevance). Test users with no event after the cut are not scored.
/// </summary>
public sealed class RecSplit
{
    /// <summary>Events before the cut (all users, test users included).</summary>
    public required List<UserEvent> Train { get; init; }
    /// <summary>Test users with their history (before the cut) and truth (items after it).</summary>
    public required List<(long UserId, List<UserEvent> History, HashSet<long> Truth)> Test { get; init; }
    /// <summary>The cut (Unix seconds).</summary>
    public long Cut { get; init; }

    /// <summary>Splits events at <paramref name="cut"/> for the given test users.</summary>
    public static RecSplit Create(IEnumerable<UserEvent> events, long cut, IReadOnlySet<long> testUsers)
    {
        Guard.NotNull(events);
        Guard.NotNull(testUsers);
        var train = new List<UserEvent>();
        var hist = new Dictionary<long, List<UserEvent>>();
        var truth = new Dictionary<long, HashSet<long>>();
        foreach (var e in events)
        {
            bool test = testUsers.Contains(e.UserId);
            if (e.Timestamp < cut)
            {
                train.Add(e);
                if (test) (hist.TryGetValue(e.UserId, out var h) ? h : hist[e.UserId] = []).Add(e);
            }
            else if (test) (truth.TryGetValue(e.UserId, out var t) ? t : truth[e.UserId] = []).Add(e.ItemId);
        }
        var list = truth.OrderBy(kv => kv.Key)
            .Select(kv => (kv.Key, hist.TryGetValue(kv.Key, out var h) ? h : [], kv.Value))
            .ToList();
        return new RecSplit { Train = train, Test = list, Cut = cut };
    }
}

/// <summary>Metrics of one model: per K, HR, Recall, NDCG and catalogue coverage.</summary>
/// <param name="Model">The model name.</param>
/// <param name="Users">Test users scored.</param>
/// <param name="Metrics">Keys like <c>hr@20</c>, <c>recall@20</c>, <c>ndcg@20</c>, <c>coverage@20</c>.</param>
/// <param name="PerUser">HR, Recall and NDCG of each test user (same keys, users in <see cref="RecSplit.Test"/> order), for intervals and paired tests.</param>
public sealed record RecEvalResult(string Model, int Users, IReadOnlyDictionary<string, double> Metrics, IReadOnlyDictionary<string, double[]> PerUser);

/// <summary>Runs the protocol of <see cref="RecSplit"/> for a trained model bundle.</summary>
public static class RecEvaluator
{
    /// <summary>Scores every test user with the named scorer and averages the metrics.</summary>
    /// <param name="models">Models trained on <see cref="RecSplit.Train"/>.</param>
    /// <param name="split">The split.</param>
    /// <param name="model">A name from <see cref="CollabModels.ScorerNames"/>.</param>
    /// <param name="ks">The cut-offs, e.g. 10 and 20.</param>
    /// <param name="progress">Receives the number of users done.</param>
    public static RecEvalResult Evaluate(CollabModels models, RecSplit split, string model, IReadOnlyList<int> ks, IProgress<int>? progress = null)
    {
        Guard.NotNull(models);
        Guard.NotNull(split);
        Guard.NotNull(ks);
        if (ks.Count == 0 || ks.Any(k => k <= 0)) throw new ArgumentException("ks must hold positive cut-offs.", nameof(ks));
        var scorer = models.Scorer(model);
        int kMax = ks.Max();
        var lists = new long[split.Test.Count][];
        int done = 0;
        Parallel.For(0, split.Test.Count, u =>
        {
            var (user, history, _) = split.Test[u];
            var h = new UserHistory(user, history, split.Cut);
            lists[u] = scorer.TopK(h, kMax).Select(s => s.ItemId).ToArray();
            int d = Interlocked.Increment(ref done);
            if (d % 50 == 0) progress?.Report(d);
        });
        return Score(model, split, lists, ks, models.ItemCount);
    }

    /// <summary>
    /// Averages HR, Recall and NDCG at each cut-off over the test users of <paramref name="split"/>, given each one's
    /// ranked list (same order as <see cref="RecSplit.Test"/>); coverage is the share of <paramref name="catalogItems"/>
    /// that appear in some top K. Any model's lists can be scored this way, so every model is measured alike.
    /// </summary>
    public static RecEvalResult Score(string model, RecSplit split, IReadOnlyList<long[]> lists, IReadOnlyList<int> ks, int catalogItems)
    {
        Guard.NotNull(model);
        Guard.NotNull(split);
        Guard.NotNull(lists);
        Guard.NotNull(ks);
        if (lists.Count != split.Test.Count) throw new ArgumentException($"lists holds {lists.Count} lists for {split.Test.Count} test users.", nameof(lists));
        var metrics = new Dictionary<string, double>();
        var perUser = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var k in ks)
        {
            string key = k.ToString(CultureInfo.InvariantCulture);
            var hr = perUser["hr@" + key] = new double[lists.Count];
            var recall = perUser["recall@" + key] = new double[lists.Count];
            var ndcg = perUser["ndcg@" + key] = new double[lists.Count];
            var covered = new HashSet<long>();
            for (int u = 0; u < lists.Count; u++)
            {
                var grades = split.Test[u].Truth.ToDictionary(i => i, _ => 1);
                hr[u] = RankingMetrics.HitRate(lists[u], grades, k);
                recall[u] = RankingMetrics.Recall(lists[u], grades, k);
                ndcg[u] = RankingMetrics.Ndcg(lists[u], grades, k);
                foreach (var i in lists[u].Take(k)) covered.Add(i);
            }
            int n = Math.Max(1, lists.Count);
            metrics["hr@" + key] = hr.Sum() / n;
            metrics["recall@" + key] = recall.Sum() / n;
            metrics["ndcg@" + key] = ndcg.Sum() / n;
            metrics["coverage@" + key] = catalogItems > 0 ? (double)covered.Count / catalogItems : 0;
        }
        return new RecEvalResult(model, lists.Count, metrics, perUser);
    }

    /// <summary>
    /// Reads test user ids: each line starts with a user id (followed by nothing, a comma, a tab or a space), so
    /// both a <c>split-users</c> file and an events CSV work. Blank lines are skipped; a line that does not start with
    /// a user id is skipped and named to <paramref name="onSkipped"/> (<c>file:line: …</c>; an events CSV's header
    /// is one). Throws <see cref="InvalidDataException"/> when the file lists no user id at all.
    /// </summary>
    public static HashSet<long> ReadUserIds(string path, Action<string>? onSkipped = null)
    {
        Guard.NotNull(path);
        var set = new HashSet<long>();
        var no = 0;
        foreach (var line in SearchRec.Core.TextFiles.ReadLines(path))
        {
            no++;
            var span = line.AsSpan().Trim();
            if (span.IsEmpty) continue;
            int end = span.IndexOfAny(',', '\t', ' ');
            var head = end >= 0 ? span[..end] : span;
            if (long.TryParse(head, NumberStyles.None, CultureInfo.InvariantCulture, out var id)) set.Add(id);
            else onSkipped?.Invoke($"{path}:{no}: '{head.ToString()}' is not a user id; line skipped");
        }
        if (set.Count == 0) throw new InvalidDataException($"{path} lists no user id (one per line, as `searchrec split-users` writes).");
        return set;
    }

    /// <summary>Picks a seeded random <paramref name="fraction"/> of the distinct users, sorted by id.</summary>
    public static List<long> SplitUsers(IEnumerable<long> users, double fraction, int seed)
    {
        Guard.NotNull(users);
        Guard.InRange(fraction, 0, 1);
        var all = users.Distinct().Order().ToArray();
        new Random(seed).Shuffle(all);
        var pick = all.Take((int)Math.Round(all.Length * fraction)).ToList();
        pick.Sort();
        return pick;
    }
}
