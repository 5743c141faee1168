using Lucene.Net.Index;
using Lucene.Net.Store;
using Lucene.Net.Util;
using SearchRec.Core;
using SearchRec.Index.Internals;

namespace SearchRec.Index;

public sealed partial class ProductIndex
{
    /// <summary>
    /// Changes the products of an index on disk in one Lucene commit: each of <paramref name="upserts"/> replaces the
    /// product with its id, or is added when the index has none; each of <paramref name="deletes"/> is removed. A
    /// reader opened before sees the old catalog whole, one opened after the new one. Everything is checked before
    /// anything is written: an invalid product, an id given twice or both upserted and deleted throws an
    /// <see cref="ArgumentException"/> naming it, and the index is left as it was.
    /// </summary>
    /// <remarks>
    /// A replaced product keeps its input ordinal, so ties among unchanged products fall as before; an added one
    /// comes after every product. BM25's collection statistics count a replaced or removed product until Lucene
    /// merges its segment away, as in any Lucene index; <paramref name="merge"/> merges into one segment now, after
    /// which scores equal those of a fresh build of the same catalog. The recall bounds side file is rewritten for
    /// the new commit.
    /// </remarks>
    /// <param name="path">The index directory, built by <see cref="Build"/>.</param>
    /// <param name="upserts">Products to add or replace (by id).</param>
    /// <param name="deletes">Ids to remove; ids the index does not hold are listed in the result, not an error.</param>
    /// <param name="merge">Merge the index into one segment after the change.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="InvalidDataException">The directory holds no SearchRec index.</exception>
    /// <exception cref="IndexBusyException">Another program is writing the index.</exception>
    public static CatalogChange Update(string path, IEnumerable<Product> upserts, IEnumerable<string> deletes, bool merge = false)
    {
        Guard.NotNull(path);
        var adds = Guard.NotNull(upserts) as IReadOnlyList<Product> ?? upserts.ToList();
        var removes = Guard.NotNull(deletes) as IReadOnlyList<string> ?? deletes.ToList();
        if (System.IO.File.Exists(path)) throw new DirectoryNotFoundException($"'{path}' is a file; an index is a folder made by `searchrec index`");
        if (!System.IO.Directory.Exists(path)) throw new DirectoryNotFoundException($"index directory '{path}' does not exist");
        var opts = ReadOptions(path);
        CheckChange(adds, removes);

        using var dir = FSDirectory.Open(path);
        using var analyzer = CreateAnalyzer(opts);
        var config = new IndexWriterConfig(LuceneVersion.LUCENE_48, analyzer)
        {
            OpenMode = OpenMode.APPEND,
            Similarity = new ExactBm25Similarity(opts.K1, opts.B),
            UseCompoundFile = false,
            MergePolicy = new TieredMergePolicy { NoCFSRatio = 0.0 },
        };
        IndexWriter writer;
        try
        {
            writer = new IndexWriter(dir, config);
        }
        catch (LockObtainFailedException e)
        {
            throw new IndexBusyException(path, e);
        }
        catch (Exception e) when (e is IndexNotFoundException or CorruptIndexException or EndOfStreamException)
        {
            throw new InvalidDataException($"'{path}' holds a damaged or incomplete index ({e.Message}); build it again with `searchrec index`", e);
        }
        try
        {
            int added = 0, replaced = 0, deleted = 0, liveBefore;
            var notFound = new List<string>();
            using (var before = DirectoryReader.Open(writer, applyAllDeletes: true))
            {
                liveBefore = before.NumDocs;
                var next = MaxOrdinal(before) + 1;
                var builder = new DocumentBuilder(opts.ProductDocValues);
                foreach (var p in adds)
                {
                    var term = new Term(IndexFields.Id, p.Id);
                    if (OrdinalOf(before, term) is { } ordinal)
                    {
                        writer.UpdateDocument(term, builder.Fill(p, ordinal));
                        replaced++;
                    }
                    else
                    {
                        writer.AddDocument(builder.Fill(p, next++));
                        added++;
                    }
                }
                foreach (var id in removes)
                {
                    var term = new Term(IndexFields.Id, id);
                    if (OrdinalOf(before, term) is null) { notFound.Add(id); continue; }
                    writer.DeleteDocuments(term);
                    deleted++;
                }
            }
            // Nothing to write (every id to remove was unknown): leave the commit and the bounds file as they are.
            if (added + replaced + deleted == 0 && !merge)
            {
                writer.Rollback();
                return new CatalogChange(0, 0, 0, notFound, liveBefore);
            }
            if (merge) writer.ForceMerge(1);
            // No reader of the new commit may find bounds of the old one (they could be too low and lose products).
            System.IO.File.Delete(System.IO.Path.Combine(path, TermBounds.FileName));
            writer.Commit();
            writer.Dispose();
            using var after = DirectoryReader.Open(dir);
            var fields = FieldsOf(after, opts, ExactBm25Similarity.SumLengths(after, IndexFields.Scored));
            TermBounds.Compute(after, fields).Save(System.IO.Path.Combine(path, TermBounds.FileName), after.IndexCommit.Generation);
            return new CatalogChange(added, replaced, deleted, notFound, after.NumDocs);
        }
        catch
        {
            if (!writer.IsClosed) writer.Rollback();
            throw;
        }
    }

    private static void CheckChange(IReadOnlyList<Product> upserts, IReadOnlyList<string> deletes)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < upserts.Count; i++)
        {
            Validate(upserts[i]);
            if (!ids.Add(upserts[i].Id)) throw new ArgumentException($"upserts: product '{upserts[i].Id}' is given twice", "upserts");
        }
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < deletes.Count; i++)
        {
            var id = deletes[i];
            if (string.IsNullOrWhiteSpace(id)) throw new ArgumentException($"deletes[{i}]: the id is empty", "deletes");
            if (!deleted.Add(id)) throw new ArgumentException($"deletes: id '{id}' is given twice", "deletes");
            if (ids.Contains(id)) throw new ArgumentException($"product '{id}' is both upserted and deleted", "deletes");
        }
    }

    private static long MaxOrdinal(DirectoryReader reader)
    {
        long max = -1;
        foreach (var leaf in reader.Leaves)
        {
            var ar = leaf.AtomicReader;
            var values = ar.GetNumericDocValues(IndexFields.Ordinal);
            if (values is null) continue;
            for (var d = 0; d < ar.MaxDoc; d++) max = Math.Max(max, values.Get(d));
        }
        return max;
    }

    // The ordinal of the live product with this id, or null when the index holds none.
    private static long? OrdinalOf(DirectoryReader reader, Term id)
    {
        foreach (var leaf in reader.Leaves)
        {
            var ar = leaf.AtomicReader;
            var docs = ar.GetTermDocsEnum(id); // skips deleted documents
            if (docs is null) continue;
            var d = docs.NextDoc();
            if (d != Lucene.Net.Search.DocIdSetIterator.NO_MORE_DOCS) return ar.GetNumericDocValues(IndexFields.Ordinal)?.Get(d) ?? 0;
        }
        return null;
    }
}

/// <summary>An index on disk is being written by another writer (a build or an update holds its lock).</summary>
public sealed class IndexBusyException : IOException
{
    /// <summary>Creates the exception for the index at <paramref name="path"/>.</summary>
    public IndexBusyException(string path, Exception? inner = null)
        : base($"'{path}' is being written by another program (an index build or update); try again when it has finished", inner) => Path = path;

    /// <summary>The index directory.</summary>
    public string Path { get; }
}

/// <summary>What <see cref="ProductIndex.Update"/> changed.</summary>
/// <param name="Added">Products the index did not hold before.</param>
/// <param name="Replaced">Products whose id the index held, now replaced.</param>
/// <param name="Deleted">Products removed.</param>
/// <param name="NotFound">Ids asked to be removed that the index did not hold.</param>
/// <param name="Count">Products in the index after the change.</param>
public sealed record CatalogChange(int Added, int Replaced, int Deleted, IReadOnlyList<string> NotFound, int Count);
