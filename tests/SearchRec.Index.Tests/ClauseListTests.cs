using Lucene.Net.Index;
using SearchRec.Index.Internals;
using Xunit;

namespace SearchRec.Index.Tests;

public sealed class ClauseListTests(SyntheticIndex shop) : IClassFixture<SyntheticIndex>
{
    private static readonly FieldBm25 Field = new("title", 1.2f, 0.75f, 9f);

    private static (int[] Docs, byte[] Freqs, float[] Lengths) RandomList(Random rng, int maxDoc, int count, bool spread)
    {
        var docs = new SortedSet<int>();
        while (docs.Count < count) docs.Add(spread ? rng.Next(maxDoc) : rng.Next(Math.Min(maxDoc, count * 3)));
        var freqs = new byte[count];
        for (var i = 0; i < count; i++) freqs[i] = (byte)(1 + rng.Next(rng.Next(4) == 0 ? 200 : 3));
        var lengths = new float[maxDoc];
        for (var d = 0; d < maxDoc; d++) lengths[d] = 1 + rng.Next(40);
        return ([.. docs], freqs, lengths);
    }

    [Fact]
    public void Each_window_holds_its_first_posting_and_its_largest_tf_part()
    {
        var rng = new Random(11);
        foreach (var (maxDoc, count, spread) in new[] { (40_000, 3_000, false), (300_000, 700, true), (5_000, 5_000, false), (9_000, 1, true) })
        {
            var (docs, freqs, lengths) = RandomList(rng, maxDoc, count, spread);
            var list = new ResidentList(docs, freqs);
            list.SetWindows(lengths, Field, maxDoc);
            var windows = ClauseList.WindowCount(maxDoc);
            Assert.Equal(windows, list.WinMax.Length);
            Assert.Equal(windows + 1, list.WinStart.Length);
            for (var w = 0; w < windows; w++)
            {
                var lo = w * ClauseList.Window;
                var first = Array.FindIndex(docs, d => d >= lo);
                Assert.Equal(first < 0 ? count : first, list.WinStart[w]);
                var max = 0f;
                for (var i = 0; i < count; i++)
                {
                    if (docs[i] >> ClauseList.WindowShift != w) continue;
                    float tf = freqs[i];
                    max = Math.Max(max, tf * Field.K1Plus1 / (tf + Field.Constant + Field.PerLength * lengths[docs[i]]));
                }
                Assert.Equal(max, list.WinMax[w]);
            }
            Assert.Equal(count, list.WinStart[windows]);
        }
    }

    [Fact]
    public void Seek_finds_the_first_posting_at_or_after_the_target_within_the_range()
    {
        var rng = new Random(12);
        // Dense ids keep 16-bit offsets; ids a million apart per block need plain ints.
        foreach (var (maxDoc, spread) in new[] { (200_000, false), (3_000_000, true) })
        {
            var (docs, freqs, lengths) = RandomList(rng, maxDoc, 2_000, spread);
            var list = new ResidentList(docs, freqs);
            list.SetWindows(lengths, Field, maxDoc);
            var cl = new ClauseList().Use(list);
            Assert.Equal(spread, cl.Docs is not null);
            for (var t = 0; t < 3_000; t++)
            {
                var lo = rng.Next(docs.Length);
                var hi = lo + rng.Next(docs.Length - lo + 1);
                var target = rng.Next(maxDoc + 1);
                var expected = lo;
                while (expected < hi && docs[expected] < target) expected++;
                Assert.Equal(expected, cl.Seek(lo, hi, target));
                if (expected < hi)
                {
                    Assert.Equal(docs[expected], cl.Doc(expected));
                    Assert.Equal(freqs[expected], cl.Freq(expected));
                }
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Accumulating_a_window_adds_each_postings_bm25_score_and_marks_its_doc(bool wide)
    {
        var rng = new Random(13);
        var (docs, freqs, lengths) = RandomList(rng, 50_000, 6_000, false);
        var maxDoc = 50_000;
        if (wide)
        {
            // One far posting: its block spans more than 16 bits, so the list keeps plain ids (and byte frequencies).
            maxDoc = 200_000;
            docs = [.. docs, maxDoc - 1];
            freqs = [.. freqs, 3];
            lengths = [.. lengths, .. new float[maxDoc - lengths.Length]];
            lengths[^1] = 5;
        }
        var list = new ResidentList(docs, freqs);
        Assert.Equal(wide, list.Wide is not null);
        list.SetWindows(lengths, Field, maxDoc);
        var cl = new ClauseList().Use(list);
        var acc = new double[2 * ClauseList.Window];
        var seen = new ulong[ClauseList.Window / 64];
        const int w = 2;
        var start = w << ClauseList.WindowShift;
        cl.Accumulate(cl.WinStart[w], cl.WinStart[w + 1], start, 2.5f, Field, lengths, acc, ClauseList.Window, seen);
        cl.Accumulate(cl.WinStart[w], cl.WinStart[w + 1], start, 0.5f, Field, lengths, acc, ClauseList.Window, seen);
        Assert.All(acc.Take(ClauseList.Window), v => Assert.Equal(0d, v));
        var marked = 0;
        for (var j = 0; j < ClauseList.Window; j++)
        {
            var i = Array.IndexOf(docs, start + j);
            var isSeen = (seen[j >> 6] >> j & 1) != 0;
            Assert.Equal(i >= 0, isSeen);
            if (i < 0) { Assert.Equal(0d, acc[ClauseList.Window + j]); continue; }
            marked++;
            float tf = freqs[i];
            var len = lengths[docs[i]];
            var expected = (double)(2.5f * tf * Field.K1Plus1 / (tf + Field.Constant + Field.PerLength * len))
                + (0.5f * tf * Field.K1Plus1 / (tf + Field.Constant + Field.PerLength * len));
            Assert.Equal(expected, acc[ClauseList.Window + j]);
        }
        Assert.Equal(cl.WinStart[w + 1] - cl.WinStart[w], marked);
        Assert.True(marked > 100);
    }

    [Fact]
    public void A_decoded_lucene_list_matches_the_resident_copy_with_its_windows()
    {
        var reader = shop.Index.Reader;
        var resident = ResidentPostings.Load(reader, IndexFields.Scored, minDocFreq: 50);
        var decoded = new ClauseList();
        var compared = 0;
        for (var l = 0; l < reader.Leaves.Count; l++)
        {
            var ar = reader.Leaves[l].AtomicReader;
            var norms = ar.GetNormValues(IndexFields.Title)!;
            var lengths = new float[ar.MaxDoc];
            for (var d = 0; d < lengths.Length; d++) lengths[d] = norms.Get(d);
            var te = ar.GetTerms(IndexFields.Title)!.GetEnumerator();
            DocsEnum? docs = null;
            while (te.MoveNext() && compared < 200)
            {
                if (resident.Get(l, 0, te.Term.Utf8ToString()) is not { } list) continue;
                list.SetWindows(lengths, Field, ar.MaxDoc);
                docs = te.Docs(ar.LiveDocs, docs, DocsFlags.FREQS);
                decoded.Decode(docs, lengths, Field, ar.MaxDoc);
                var held = new ClauseList().Use(list);
                Assert.Equal(held.Count, decoded.Count);
                for (var i = 0; i < held.Count; i++)
                {
                    Assert.Equal(held.Doc(i), decoded.Doc(i));
                    Assert.Equal(held.Freq(i), decoded.Freq(i));
                }
                var windows = ClauseList.WindowCount(ar.MaxDoc);
                Assert.Equal(held.WinMax.AsSpan(0, windows).ToArray(), decoded.WinMax.AsSpan(0, windows).ToArray());
                Assert.Equal(held.WinStart.AsSpan(0, windows + 1).ToArray(), decoded.WinStart.AsSpan(0, windows + 1).ToArray());
                compared++;
            }
        }
        Assert.True(compared > 20);
    }
}
