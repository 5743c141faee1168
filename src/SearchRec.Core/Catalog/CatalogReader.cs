using System.Globalization;
using System.Text.Json;

namespace SearchRec.Core.Catalog;

/// <summary>
/// Reads product catalogs from TSV (<c>id&lt;TAB&gt;title</c>) or JSON Lines. A broken line is recorded with
/// its file, line number and reason and skipped; every good line is kept. A TSV file's first line may be a header
/// (<c>id&lt;TAB&gt;title</c> or <c>docid&lt;TAB&gt;title</c>, in any case), which is skipped.
/// </summary>
/// <remarks>
/// JSON Lines fields: <c>id</c> (string or integer), <c>title</c>, optional <c>brand</c> (string or list),
/// <c>category</c> (a path <c>a/b</c> or <c>a&gt;b</c>, or a list), <c>attributes</c> (<c>{name: [values]}</c>),
/// <c>price</c> (number). The span lists of the NER title set (<c>type</c>, <c>model</c>, <c>misc</c>) become
/// attributes; a <c>品牌</c> attribute supplies the brand when there is no <c>brand</c> field.
/// </remarks>
public static class CatalogReader
{
    /// <summary>Reads several files into one import, rejecting ids already seen in earlier files.</summary>
    public static CatalogImport ReadFiles(IEnumerable<string> paths)
    {
        Guard.NotNull(paths);
        var import = new CatalogImport();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                import.UnreadableFiles.Add(path);
                import.Problems.Add(new ImportProblem(path, 0, "file not found"));
                continue;
            }
            TextFiles.CheckUtf8(path);
            using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            Read(reader, path, IsJsonLines(path) ? CatalogFormat.JsonLines : CatalogFormat.Tsv, import, seen);
        }
        return import;
    }

    /// <summary>Reads one catalog from a reader.</summary>
    public static CatalogImport Read(TextReader reader, string fileName, CatalogFormat format)
    {
        var import = new CatalogImport();
        Read(reader, fileName, format, import, new HashSet<string>(StringComparer.Ordinal));
        return import;
    }

    /// <summary>The format a path's extension implies: <c>.jsonl</c>/<c>.json</c>/<c>.ndjson</c> are JSON Lines, anything else TSV.</summary>
    public static bool IsJsonLines(string path)
    {
        var ext = Path.GetExtension(path);
        return ext.Equals(".jsonl", StringComparison.OrdinalIgnoreCase)
            || ext.Equals(".ndjson", StringComparison.OrdinalIgnoreCase)
            || ext.Equals(".json", StringComparison.OrdinalIgnoreCase);
    }

    private static void Read(TextReader reader, string file, CatalogFormat format, CatalogImport import, HashSet<string> seen)
    {
        long lineNo = 0;
        string? line;
        var first = true;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            // A header was indexed as a product titled "title", found by any query that says title.
            if (first && format == CatalogFormat.Tsv && IsTsvHeader(line))
            {
                import.HeaderLines++;
                first = false;
                continue;
            }
            first = false;
            import.LinesRead++;
            string? error;
            var product = format == CatalogFormat.JsonLines ? ParseJson(line, out error) : ParseTsv(line, out error);
            if (product is null)
            {
                import.Problems.Add(new ImportProblem(file, lineNo, error!));
                continue;
            }
            if (!seen.Add(product.Id))
            {
                import.Problems.Add(new ImportProblem(file, lineNo, $"duplicate id '{product.Id}'"));
                continue;
            }
            import.Products.Add(product);
        }
    }

    /// <summary>
    /// Parses one TSV line <c>id&lt;TAB&gt;title</c>. A line with more columns is refused: they were once dropped
    /// unread, a brand or price column as silently as the part of a title after a tab.
    /// </summary>
    public static Product? ParseTsv(string line, out string? error)
    {
        Guard.NotNull(line);
        var tab = line.IndexOf('\t');
        if (tab < 0) { error = "no tab: expected 'id<TAB>title'"; return null; }
        var id = line[..tab].Trim();
        if (id.Length == 0) { error = "field 'id' is empty"; return null; }
        if (IdProblem(id) is { } bad) { error = bad; return null; }
        if (line.IndexOf('\t', tab + 1) >= 0)
        {
            error = $"{line.Count(c => c == '\t') + 1} tab-separated fields: expected 2, 'id<TAB>title' (a title holds no tab; brand, category, attributes and price are fields of a JSON Lines catalog)";
            return null;
        }
        var title = line[(tab + 1)..].Trim();
        if (title.Length == 0) { error = "field 'title' is empty"; return null; }
        error = null;
        return Product.Of(id, title);
    }

    // An id is one token wherever it goes: a TREC run or qrels line, a TSV column, a URL path.
    // A space, tab, line break or other control character in it would split or break those lines.
    private static string? IdProblem(string id)
    {
        for (var i = 0; i < id.Length; i++)
        {
            var c = id[i];
            if (char.IsWhiteSpace(c) || char.IsControl(c))
                return $"field 'id' holds U+{(int)c:X4} ({(char.IsWhiteSpace(c) ? "white space" : "a control character")}) at character {i + 1}: an id is one token, with no white space or control characters, as TREC run and qrels files and TSV columns need";
        }
        return null;
    }

    // id<TAB>title or docid<TAB>title, in any case (ecom-search's corpus documents its columns as docid<TAB>title).
    private static bool IsTsvHeader(string line)
    {
        var fields = line.TrimStart('\uFEFF').Split('\t');
        if (fields.Length != 2 || !fields[1].Trim().Equals("title", StringComparison.OrdinalIgnoreCase)) return false;
        var id = fields[0].Trim();
        return id.Equals("id", StringComparison.OrdinalIgnoreCase) || id.Equals("docid", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Parses one JSON Lines record.</summary>
    public static Product? ParseJson(string line, out string? error)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e) { error = BadJson(e); return null; }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) { error = "bad JSON: a line must be one object"; return null; }

            if (!root.TryGetProperty("id", out var idEl)) { error = "no id: field 'id' is missing"; return null; }
            string id;
            switch (idEl.ValueKind)
            {
                case JsonValueKind.String: id = idEl.GetString()!.Trim(); break;
                case JsonValueKind.Number when idEl.TryGetInt64(out var n): id = n.ToString(CultureInfo.InvariantCulture); break;
                default: error = $"field 'id' has the wrong type ({idEl.ValueKind}); expected a string or an integer"; return null;
            }
            if (id.Length == 0) { error = "no id: field 'id' is empty"; return null; }
            if (IdProblem(id) is { } bad) { error = bad; return null; }

            if (!root.TryGetProperty("title", out var titleEl)) { error = "field 'title' is missing"; return null; }
            if (titleEl.ValueKind != JsonValueKind.String) { error = $"field 'title' has the wrong type ({titleEl.ValueKind}); expected a string"; return null; }
            var title = titleEl.GetString()!.Trim();
            if (title.Length == 0) { error = "field 'title' is empty"; return null; }

            string? brand = null;
            if (root.TryGetProperty("brand", out var brandEl))
            {
                if (!TryStrings(brandEl, out var brands)) { error = "field 'brand' has the wrong type; expected a string or a list of strings"; return null; }
                brand = brands.Count > 0 ? brands[0] : null;
            }

            IReadOnlyList<string> category = [];
            if (root.TryGetProperty("category", out var catEl))
            {
                if (catEl.ValueKind == JsonValueKind.String)
                    category = catEl.GetString()!.Split(['/', '>', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                else if (!TryStrings(catEl, out var cats)) { error = "field 'category' has the wrong type; expected a path string or a list of strings"; return null; }
                else category = cats;
            }

            var attributes = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            if (root.TryGetProperty("attributes", out var attrEl) && attrEl.ValueKind != JsonValueKind.Null)
            {
                if (attrEl.ValueKind != JsonValueKind.Object) { error = "field 'attributes' has the wrong type; expected an object {name: [values]}"; return null; }
                foreach (var prop in attrEl.EnumerateObject())
                {
                    if (!TryStrings(prop.Value, out var values)) { error = $"field 'attributes.{prop.Name}' has the wrong type; expected a string or a list of strings"; return null; }
                    if (values.Count > 0) attributes[prop.Name] = values;
                }
            }
            foreach (var span in (ReadOnlySpan<string>)["type", "model", "misc"])
            {
                if (!root.TryGetProperty(span, out var spanEl)) continue;
                if (!TryStrings(spanEl, out var values)) { error = $"field '{span}' has the wrong type; expected a list of strings"; return null; }
                if (values.Count > 0) attributes[span] = values.Distinct(StringComparer.Ordinal).ToArray();
            }
            if (brand is null && attributes.TryGetValue("品牌", out var brandAttr) && brandAttr.Count > 0)
                brand = brandAttr[0];

            double? price = null;
            if (root.TryGetProperty("price", out var priceEl) && priceEl.ValueKind != JsonValueKind.Null)
            {
                if (priceEl.ValueKind == JsonValueKind.Number) price = priceEl.GetDouble();
                else if (priceEl.ValueKind == JsonValueKind.String && double.TryParse(priceEl.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var p)) price = p;
                else { error = "field 'price' has the wrong type; expected a number"; return null; }
                if (price is < 0 || double.IsNaN(price!.Value) || double.IsInfinity(price.Value)) { error = "field 'price' must be a finite non-negative number"; return null; }
            }

            error = null;
            return new Product(id, title, brand, category, attributes, price);
        }
    }

    // The reader's own position ("LineNumber: 0 | BytePositionInLine: 35.") counts lines within the record, from 0: beside
    // the file's line number it read as a contradiction. The byte within the line is what helps.
    private static string BadJson(JsonException e)
    {
        var message = e.Message;
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        return $"bad JSON at byte {(e.BytePositionInLine ?? 0) + 1}: {message}";
    }

    private static bool TryStrings(JsonElement el, out IReadOnlyList<string> values)
    {
        switch (el.ValueKind)
        {
            case JsonValueKind.Null: values = []; return true;
            case JsonValueKind.String:
                var s = el.GetString()!.Trim();
                values = s.Length == 0 ? [] : [s];
                return true;
            case JsonValueKind.Array:
                var list = new List<string>(el.GetArrayLength());
                foreach (var item in el.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String) { var v = item.GetString()!.Trim(); if (v.Length > 0) list.Add(v); }
                    else if (item.ValueKind == JsonValueKind.Number) list.Add(item.GetRawText());
                    else { values = []; return false; }
                }
                values = list;
                return true;
            default: values = []; return false;
        }
    }
}

/// <summary>A catalog file format.</summary>
public enum CatalogFormat
{
    /// <summary><c>id&lt;TAB&gt;title</c>, one product per line.</summary>
    Tsv,
    /// <summary>One JSON object per line.</summary>
    JsonLines,
}
