using System.Globalization;
using System.Text.Json;
using SearchRec.Core;
using SearchRec.Core.Catalog;

namespace SearchRec.Server.Internals;

/// <summary>
/// Reads <c>POST /admin/products</c> bodies: <c>{"upsert": [product, ...], "delete": ["id", ...]}</c>, either list
/// optional. A product is what a catalog's JSON Lines hold (<see cref="CatalogReader.ParseJson"/>); every problem is
/// reported with its place, and a body with any problem changes nothing.
/// </summary>
internal static class ProductChangeParser
{
    public sealed record Result(CatalogUpdate? Update, List<string> Errors);

    public static Result Parse(JsonDocument doc, int maxProducts)
    {
        var errors = new List<string>();
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"the body must be {{\"upsert\": [products], \"delete\": [ids]}}, not {EventParser.Kind(root)}");
            return new Result(null, errors);
        }
        JsonElement? upsert = null, delete = null;
        foreach (var p in root.EnumerateObject())
        {
            switch (p.Name)
            {
                case "upsert" when upsert is null: upsert = p.Value; break;
                case "delete" when delete is null: delete = p.Value; break;
                case "upsert" or "delete": errors.Add($"{p.Name}: given more than once (send one list)"); break;
                default: errors.Add($"unknown field '{p.Name}' (only 'upsert' and 'delete' are allowed)"); break;
            }
        }
        if (errors.Count > 0) return new Result(null, errors);
        int n = Count(upsert, "upsert", errors) + Count(delete, "delete", errors);
        if (errors.Count > 0) return new Result(null, errors);
        if (n == 0) { errors.Add("nothing to change: give products in 'upsert' or ids in 'delete'"); return new Result(null, errors); }
        if (n > maxProducts)
        {
            errors.Add($"the change has {n} products; at most {maxProducts} are accepted per request");
            return new Result(null, errors);
        }

        var products = new List<Product>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        if (upsert is { ValueKind: JsonValueKind.Array } list)
            foreach (var row in list.EnumerateArray())
            {
                var at = $"upsert[{i++}]";
                if (row.ValueKind != JsonValueKind.Object) { EventParser.Add(errors, $"{at}: must be a product object with id and title, not {EventParser.Kind(row)}"); continue; }
                if (RepeatedField(row) is { } twice) { EventParser.Add(errors, $"{at}.{QueryParams.Clip(twice)}: given more than once (each field may appear once)"); continue; }
                if (CatalogReader.ParseJson(row.GetRawText(), out var error) is not { } product) { EventParser.Add(errors, $"{at}: {error}"); continue; }
                if (TooLongForAnIndexTerm(product) is { } tooLong) { EventParser.Add(errors, $"{at}: {tooLong}"); continue; }
                if (!ids.Add(product.Id)) { EventParser.Add(errors, $"{at}: product '{QueryParams.Clip(product.Id)}' is given twice"); continue; }
                products.Add(product);
            }
        var deletes = new List<string>();
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        i = 0;
        if (delete is { ValueKind: JsonValueKind.Array } gone)
            foreach (var row in gone.EnumerateArray())
            {
                var at = $"delete[{i++}]";
                string? id = row.ValueKind switch
                {
                    JsonValueKind.String => row.GetString()!.Trim(),
                    JsonValueKind.Number when row.TryGetInt64(out var v) => v.ToString(CultureInfo.InvariantCulture),
                    _ => null,
                };
                if (id is null) { EventParser.Add(errors, $"{at}: must be a product id (a string or an integer), not {EventParser.Kind(row)}"); continue; }
                if (id.Length == 0) { EventParser.Add(errors, $"{at}: the id is empty"); continue; }
                if (!deleted.Add(id)) { EventParser.Add(errors, $"{at}: id '{QueryParams.Clip(id)}' is given twice"); continue; }
                if (ids.Contains(id)) { EventParser.Add(errors, $"{at}: product '{QueryParams.Clip(id)}' is also in 'upsert'"); continue; }
                deletes.Add(id);
            }
        return errors.Count > 0 ? new Result(null, errors) : new Result(new CatalogUpdate(products, deletes), errors);
    }

    // The most UTF-8 bytes Lucene keeps in one term (IndexWriter.MAX_TERM_LENGTH).
    private const int MaxTermBytes = 32_766;

    // The id, the brand and each category level are indexed whole, as one term each: a longer one made Lucene refuse
    // the change with its own message, naming its field ('brand_k') and the analyzer, not the row.
    private static string? TooLongForAnIndexTerm(Product p)
    {
        int bytes = System.Text.Encoding.UTF8.GetByteCount(p.Id);
        if (bytes > MaxTermBytes) return TooLong("field 'id' is", bytes);
        if (p.Brand is { } brand && (bytes = System.Text.Encoding.UTF8.GetByteCount(brand.Trim().ToLowerInvariant())) > MaxTermBytes)
            return TooLong("field 'brand' is", bytes);
        foreach (var level in p.Category)
            if ((bytes = System.Text.Encoding.UTF8.GetByteCount(level.Trim().ToLowerInvariant())) > MaxTermBytes)
                return TooLong("field 'category' has a level of", bytes);
        return null;

        static string TooLong(string what, int bytes) =>
            string.Create(CultureInfo.InvariantCulture, $"{what} {bytes:N0} bytes in UTF-8; the index keeps at most {MaxTermBytes:N0}");
    }

    // JSON parsers let the last of a repeated name win; a product with two prices is a client's mistake, so it is named.
    private static string? RepeatedField(JsonElement product)
    {
        HashSet<string>? seen = null;
        foreach (var p in product.EnumerateObject())
            if (!(seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(p.Name)) return p.Name;
        return null;
    }

    private static int Count(JsonElement? list, string name, List<string> errors)
    {
        if (list is not { } l || l.ValueKind == JsonValueKind.Null) return 0;
        if (l.ValueKind == JsonValueKind.Array) return l.GetArrayLength();
        errors.Add($"'{name}' must be an array, not {EventParser.Kind(l)}");
        return 0;
    }
}
