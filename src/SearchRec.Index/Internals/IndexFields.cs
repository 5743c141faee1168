namespace SearchRec.Index.Internals;

/// <summary>Lucene field names of the product index.</summary>
internal static class IndexFields
{
    public const string Id = "id";            // StringField, stored + binary doc values (fast id lookup in recall)
    public const string Title = "title";      // segmented title, stored
    public const string Bigram = "bigram";    // CJK bigrams of the title
    public const string Brand = "brand";      // analyzed brand, stored
    public const string Category = "category"; // analyzed category levels, one stored value per level
    public const string Attributes = "attrs"; // analyzed attribute values
    public const string AttributeStore = "attr_s"; // stored "name\u001fvalue" pairs
    public const string BrandKey = "brand_k";  // exact brand for filtering
    public const string CategoryKey = "cat_k"; // exact category levels for filtering
    public const string Price = "price";       // DoubleField, stored
    public const string Ordinal = "ord";       // input position (doc values): the tie-break after the score
    public const string ProductValue = "product_dv"; // the whole product as binary doc values (ProductCodec): fast reads

    public const char AttributeSeparator = '\u001f';

    /// <summary>The scored text fields, in <see cref="FieldScores"/> order.</summary>
    public static readonly string[] Scored = [Title, Bigram, Brand, Category, Attributes];

    /// <summary>Normalises a brand or category for exact filters (case and surrounding space do not matter).</summary>
    public static string Key(string value) => value.Trim().ToLowerInvariant();
}
