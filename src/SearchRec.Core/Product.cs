namespace SearchRec.Core;

/// <summary>One product of a catalog, as imported and as indexed.</summary>
/// <param name="Id">The product id, unique within a catalog. Numeric for data that also has behaviour logs.</param>
/// <param name="Title">The product title (required, non-empty).</param>
/// <param name="Brand">The brand, when known.</param>
/// <param name="Category">The category path from coarse to fine; empty when unknown.</param>
/// <param name="Attributes">Attribute name to values; empty when unknown.</param>
/// <param name="Price">The price in yuan, when known.</param>
public sealed record Product(
    string Id,
    string Title,
    string? Brand,
    IReadOnlyList<string> Category,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes,
    double? Price)
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoAttributes =
        new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Creates a product with only an id and a title.</summary>
    public static Product Of(string id, string title) => new(id, title, null, [], NoAttributes, null);

    /// <summary>The category path joined with <c>/</c>, or an empty string.</summary>
    public string CategoryPath => string.Join('/', Category);
}
