using Lucene.Net.Index;
using Lucene.Net.Search;
using SearchRec.Index.Internals;
using Xunit;

namespace SearchRec.Index.Tests;

public sealed class ResidentPostingsTests(SyntheticIndex shop) : IClassFixture<SyntheticIndex>
{
    [Fact]
    public void Resident_lists_step_and_advance_exactly_like_lucene_postings()
    {
        var reader = shop.Index.Reader;
        var resident = ResidentPostings.Load(reader, IndexFields.Scored, minDocFreq: 2);
        Assert.True(resident.Terms > 100);
        var rng = new Random(4);
        var mine = new ResidentDocsEnum();
        var compared = 0;
        for (var l = 0; l < reader.Leaves.Count; l++)
        {
            var ar = reader.Leaves[l].AtomicReader;
            for (var f = 0; f < IndexFields.Scored.Length; f++)
            {
                var terms = ar.GetTerms(IndexFields.Scored[f]);
                if (terms is null) continue;
                var te = terms.GetEnumerator();
                DocsEnum? docs = null;
                while (te.MoveNext())
                {
                    var term = te.Term.Utf8ToString();
                    var list = resident.Get(l, f, term);
                    if (te.DocFreq < 2) { Assert.Null(list); continue; }
                    Assert.NotNull(list);
                    if (rng.Next(8) != 0) continue;
                    docs = te.Docs(ar.LiveDocs, docs, DocsFlags.FREQS);
                    mine.Reset(list);
                    // Random mix of steps and jumps of every size, ending past the last doc.
                    while (true)
                    {
                        int a, b;
                        if (rng.Next(2) == 0) { a = docs.NextDoc(); b = mine.NextDoc(); }
                        else
                        {
                            var target = Math.Max(docs.DocID, mine.DocID) + 1 + rng.Next(rng.Next(3) == 0 ? ar.MaxDoc : 40);
                            a = docs.Advance(target);
                            b = mine.Advance(target);
                        }
                        Assert.Equal(a, b);
                        if (a == DocIdSetIterator.NO_MORE_DOCS) break;
                        Assert.Equal(docs.Freq, mine.Freq);
                        compared++;
                    }
                }
            }
        }
        Assert.True(compared > 1000);
    }

    [Fact]
    public void A_list_whose_blocks_span_more_than_16_bits_of_doc_ids_reads_back_the_same()
    {
        int[] docs = [.. Enumerable.Range(0, 200).Select(i => i * 1500)];
        byte[] freqs = [.. Enumerable.Range(0, 200).Select(i => (byte)(1 + i % 7))];
        int[] dense = [.. Enumerable.Range(0, 200).Select(i => 70_000 + i * 3)];
        foreach (var ids in new[] { docs, dense })
        {
            var list = new ResidentList(ids, freqs);
            Assert.Equal(ids == docs, list.Wide is not null);
            var e = new ResidentDocsEnum().Reset(list);
            for (var i = 0; i < ids.Length; i++)
            {
                Assert.Equal(ids[i], e.NextDoc());
                Assert.Equal(freqs[i], e.Freq);
            }
            Assert.Equal(DocIdSetIterator.NO_MORE_DOCS, e.NextDoc());
            e.Reset(list);
            Assert.Equal(ids[100], e.Advance(ids[100] - 1));
            Assert.Equal(ids[101], e.Advance(ids[100] + 1));
            Assert.Equal(DocIdSetIterator.NO_MORE_DOCS, e.Advance(ids[^1] + 1));
        }
    }

    [Fact]
    public void Only_lists_of_at_least_the_minimum_document_frequency_are_held()
    {
        var reader = shop.Index.Reader;
        var all = ResidentPostings.Load(reader, IndexFields.Scored, minDocFreq: 1);
        var some = ResidentPostings.Load(reader, IndexFields.Scored, minDocFreq: 200);
        Assert.True(some.Terms > 0);
        Assert.True(some.Terms < all.Terms);
        Assert.True(some.Postings < all.Postings);
        Assert.InRange(all.Bytes, all.Postings * 3, all.Postings * 5);
    }
}
