using System.Collections.Concurrent;
using Lucene.Net.Index;

namespace SearchRec.Index.Internals;

/// <summary>
/// The index's segments as MoreLikeThis reads them, with one difference: each thread keeps one terms enumerator per
/// segment and field and seeks it again for every look-up. MoreLikeThis asks the document frequency of each of a
/// product's words in each of its fields, and Lucene's <c>AtomicReader.DocFreq</c> builds a new terms enumerator for
/// each (its frames, buffers and FST arcs: about 5 KB), some 250 KB per similar-items call. The frequencies, and so
/// the query, are the same.
/// </summary>
/// <remarks>
/// Only for a reader that looks terms up one at a time, as <c>DocFreq</c> does: an enumerator handed out belongs to the
/// calling thread and is moved by that thread's next look-up in the same segment and field. The segments' own readers
/// stay open and owned by their <see cref="DirectoryReader"/>; disposing this one closes none of them.
/// </remarks>
internal static class SharedTermsReader
{
    /// <summary>A reader over <paramref name="leaves"/>, with the same documents and doc ids.</summary>
    public static IndexReader Over(IList<AtomicReaderContext> leaves)
    {
        var readers = new IndexReader[leaves.Count];
        for (var i = 0; i < readers.Length; i++) readers[i] = new Leaf(leaves[i].AtomicReader);
        return new MultiReader(readers, closeSubReaders: true); // each Leaf closes only its own enumerators (DoClose)
    }

    private sealed class Leaf : FilterAtomicReader
    {
        private readonly Fields? _fields;

        public Leaf(AtomicReader input) : base(input) =>
            _fields = m_input.Fields is { } fields ? new SharedFields(fields) : null;

        public override Fields Fields => _fields!;

        // The segment belongs to the directory reader (closing a filter closes what it wraps), so only the threads'
        // enumerators are let go: a reloaded index would otherwise keep them until the finalizer ran.
        protected override void DoClose() => (_fields as SharedFields)?.Release();
    }

    private sealed class SharedFields(Fields input) : FilterAtomicReader.FilterFields(input)
    {
        private readonly ConcurrentDictionary<string, SharedTerms?> _terms = new(StringComparer.Ordinal);

        public override Terms GetTerms(string field) =>
            _terms.GetOrAdd(field, static (f, fields) => fields.GetTerms(f) is { } terms ? new SharedTerms(terms) : null, m_input)!;

        public void Release()
        {
            foreach (var terms in _terms.Values) terms?.Release();
        }
    }

    private sealed class SharedTerms : FilterAtomicReader.FilterTerms
    {
        private readonly ThreadLocal<TermsEnum> _enum;

        public SharedTerms(Terms input) : base(input) => _enum = new ThreadLocal<TermsEnum>(m_input.GetEnumerator);

        public override TermsEnum GetEnumerator() => _enum.Value!;

        public override TermsEnum GetEnumerator(TermsEnum reuse) => _enum.Value!;

        public void Release() => _enum.Dispose();
    }
}
