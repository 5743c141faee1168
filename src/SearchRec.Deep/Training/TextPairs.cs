using System.Text;
using SearchRec.Core;
using SearchRec.Text;

namespace SearchRec.Deep.Training;

/// <summary>
/// Weak query → product pairs derived from the catalog itself: brand, product type, category and attribute
/// values (alone or brand + value) and short random spans of the title (1–3 words or 2–4 character spans,
/// joined with or without spaces, like real queries). Never reads evaluation queries; an optional
/// exclusion set drops any derived query that equals one.
/// </summary>
internal static class TextPairs
{
    public static List<(string Query, int Product)> Derive(IReadOnlyList<Product> products, ITokenizer? tokenizer, int spansPerTitle, Random rng, IReadOnlySet<string>? exclude)
    {
        var pairs = new List<(string, int)>(products.Count * (spansPerTitle + 4));
        var values = new List<string>();
        var segments = new List<string>();
        var sb = new StringBuilder();
        for (var p = 0; p < products.Count; p++)
        {
            var product = products[p];
            values.Clear();
            foreach (var c in product.Category) if (Usable(c)) values.Add(c);
            foreach (var (name, vals) in product.Attributes)
                foreach (var v in vals) if (Usable(v) && name != "品牌") values.Add(v);
            var brand = product.Brand is { } b && Usable(b) ? b : null;
            if (brand is not null) Add(pairs, brand, p, exclude);
            // A few attribute/category values per product, alone or after the brand.
            rng.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(values));
            for (var i = 0; i < Math.Min(3, values.Count); i++)
            {
                Add(pairs, values[i], p, exclude);
                if (brand is not null && rng.Next(2) == 0) Add(pairs, brand + " " + values[i], p, exclude);
            }
            segments.Clear();
            if (tokenizer is not null)
            {
                foreach (var w in tokenizer.Tokenize(product.Title)) if (w.Length > 0 && char.IsLetterOrDigit(w[0])) segments.Add(w);
            }
            for (var s = 0; s < spansPerTitle; s++)
            {
                var parts = 1 + rng.Next(3);
                var spaced = rng.Next(2) == 0; // real queries are mostly written without spaces
                sb.Clear();
                for (var k = 0; k < parts; k++)
                {
                    string piece;
                    if (segments.Count > 0 && rng.Next(3) != 0) piece = segments[rng.Next(segments.Count)];
                    else piece = CharSpan(product.Title, rng);
                    if (piece.Length == 0) continue;
                    if (sb.Length > 0 && spaced) sb.Append(' ');
                    sb.Append(piece);
                }
                if (sb.Length > 0) Add(pairs, sb.ToString(), p, exclude);
            }
        }
        return pairs;
    }

    private static bool Usable(string v) => v.Length is >= 1 and <= 20;

    private static void Add(List<(string, int)> pairs, string query, int product, IReadOnlySet<string>? exclude)
    {
        if (exclude is not null && exclude.Contains(query.Trim())) return;
        pairs.Add((query, product));
    }

    // A 2–4 character span of letters/digits from the title.
    private static string CharSpan(string title, Random rng)
    {
        if (title.Length == 0) return "";
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var len = 2 + rng.Next(3);
            if (title.Length <= len) return title;
            var start = rng.Next(title.Length - len + 1);
            var span = title.AsSpan(start, len);
            var ok = true;
            foreach (var c in span) if (!char.IsLetterOrDigit(c)) { ok = false; break; }
            if (ok) return span.ToString();
        }
        return "";
    }
}
