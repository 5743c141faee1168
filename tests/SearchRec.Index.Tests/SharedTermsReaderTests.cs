using Lucene.Net.Index;
using Lucene.Net.Util;
using SearchRec.Core;
using SearchRec.Index.Internals;
using Xunit;

namespace SearchRec.Index.Tests;

public sealed class SharedTermsReaderTests
{
    [Fact]
    public void Closing_the_shared_reader_leaves_the_segments_open_and_lets_go_of_its_threads_enumerators()
    {
        using var index = ProductIndex.Build([Product.Of("1", "华为 手机 壳"), Product.Of("2", "华为 平板"), Product.Of("3", "苹果 手机")], new IndexOptions());
        var first = index.Reader.Leaves[0].AtomicReader.GetTerms(IndexFields.Title)!.GetEnumerator();
        Assert.True(first.MoveNext());
        var term = new Term(IndexFields.Title, BytesRef.DeepCopyOf(first.Term));
        var expected = index.Reader.DocFreq(term);
        var shared = SharedTermsReader.Over(index.Reader.Leaves);
        Assert.Equal(expected, shared.DocFreq(term));
        var terms = shared.Leaves[0].AtomicReader.GetTerms(IndexFields.Title)!;
        Assert.Same(terms.GetEnumerator(), terms.GetEnumerator()); // one enumerator per thread, sought again

        shared.Dispose();

        // The enumerators went with it (a reloaded index does not keep them until a finalizer runs) ...
        Assert.Throws<ObjectDisposedException>(() => terms.GetEnumerator());
        // ... and the segments are the directory reader's, still open.
        Assert.Equal(expected, index.Reader.DocFreq(term));
        Assert.Equal(3, index.Recall(new RecallRequest("手机 华为 苹果")).Count);
    }
}
