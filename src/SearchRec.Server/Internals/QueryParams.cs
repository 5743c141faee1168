using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace SearchRec.Server.Internals;

/// <summary>A request the service refuses with 400 and a message naming the parameter.</summary>
internal sealed class BadParameterException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>Parses query-string values by hand so every bad value gets a message that names it.</summary>
internal static class QueryParams
{
    /// <summary>Refuses parameters the endpoint does not know (typos like <c>?kk=5</c> would otherwise be silently ignored).</summary>
    public static void OnlyKnown(HttpRequest request, params ReadOnlySpan<string> known)
    {
        WellEncoded(request.QueryString.Value);
        foreach (var key in request.Query.Keys)
        {
            if (key.Length == 0) throw new BadParameterException("", "a parameter without a name (as in '?=1' or '?q=a&=b'); give each value a name");
            bool ok = false;
            foreach (var k in known) if (string.Equals(k, key, StringComparison.Ordinal)) { ok = true; break; }
            if (!ok)
                throw new BadParameterException(Clip(key), $"unknown parameter '{Clip(key)}'; this endpoint takes"
                    + (known.IsEmpty ? " no query parameters" : $": {string.Join(", ", known.ToArray())}"));
        }
        foreach (var key in request.Query.Keys)
            if (request.Query[key].Count > 1) throw new BadParameterException(key, $"parameter '{key}' is given {request.Query[key].Count} times; give it once");
    }

    /// <summary>
    /// Refuses a query string whose percent-escapes are broken ('%ZZ', a lone '%') or decode to bytes that are not
    /// UTF-8 ('%E4%B8', a character cut short): ASP.NET keeps such text as it came, so 'q=%E4%B8' searched for the
    /// letters '%e4%b8' and answered 200 with unrelated products.
    /// </summary>
    internal static void WellEncoded(string? query)
    {
        if (string.IsNullOrEmpty(query)) return;
        foreach (var pair in query.TrimStart('?').Split('&'))
        {
            if (pair.IndexOf('%') < 0) continue;
            int eq = pair.IndexOf('=');
            string name = eq < 0 ? pair : pair[..eq];
            if (Problem(name) is { } bad) throw new BadParameterException(Clip(Lenient(name)), $"a parameter name is not valid percent-encoded UTF-8: {bad}");
            if (eq >= 0 && Problem(pair[(eq + 1)..]) is { } badValue)
                throw new BadParameterException(Clip(Lenient(name)), $"parameter '{Clip(Lenient(name))}' is not valid percent-encoded UTF-8: {badValue}; encode the text as UTF-8 and write '%' itself as %25");
        }

        static string? Problem(string raw)
        {
            var bytes = new List<byte>(raw.Length);
            for (int i = 0; i < raw.Length; i++)
            {
                if (raw[i] != '%')
                {
                    // Kestrel lets only ASCII into the request line; anything else is taken as its UTF-8.
                    if (raw[i] < 0x80) bytes.Add((byte)raw[i]);
                    else bytes.AddRange(Encoding.UTF8.GetBytes(raw[i].ToString()));
                    continue;
                }
                if (i + 2 >= raw.Length || !Uri.IsHexDigit(raw[i + 1]) || !Uri.IsHexDigit(raw[i + 2]))
                    return $"'{Clip(raw[i..Math.Min(raw.Length, i + 3)])}' is not a percent-escape (% and two hex digits)";
                bytes.Add(Convert.ToByte(raw.Substring(i + 1, 2), 16));
                i += 2;
            }
            return System.Text.Unicode.Utf8.IsValid(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes))
                ? null : $"'{Clip(raw)}' decodes to bytes that are not UTF-8";
        }

        static string Lenient(string raw)
        {
            try { return Uri.UnescapeDataString(raw.Replace('+', ' ')); }
            catch (UriFormatException) { return raw; }
        }
    }

    /// <summary>
    /// An integer written in ASCII digits with an optional sign. .NET's parse also skips trailing NULs, so '1%00' read
    /// as 1 where '1%01' was refused; every numeric parameter is read without them.
    /// </summary>
    internal static bool TryInt(string raw, out int value)
    {
        value = 0;
        return !raw.Contains('\0') && int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public static int K(string? raw, ServerOptions o)
    {
        if (raw is null) return o.DefaultK;
        if (!TryInt(raw, out int k) || k < 1 || k > o.MaxK)
            throw new BadParameterException("k", $"k must be an integer between 1 and {o.MaxK} (got '{Clip(raw)}')");
        return k;
    }

    public static long? User(string? raw, string field = "user")
    {
        if (string.IsNullOrEmpty(raw)) return null;
        if (raw.Contains('\0') || !long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out long u))
            throw new BadParameterException(field, $"{field} must be a non-negative integer user id (got '{Clip(raw)}')");
        return u;
    }

    /// <summary>How many ranked results a request skips (a results page after the first); 0 when absent.</summary>
    public static int Offset(string? raw, int k)
    {
        if (raw is null) return 0;
        if (!TryInt(raw, out int offset) || offset < 0 || offset > 10_000 - k)
            throw new BadParameterException("offset", $"offset must be an integer between 0 and {10_000 - k} (10,000 minus k; got '{Clip(raw)}')");
        return offset;
    }

    /// <summary>The rescore window a request asks for (null: the service's whole recall).</summary>
    public static int? Window(string? raw)
    {
        if (raw is null) return null;
        if (!TryInt(raw, out int w) || w < 1 || w > 10_000)
            throw new BadParameterException("window", $"window must be an integer between 1 and 10,000 (got '{Clip(raw)}')");
        return w;
    }

    public static double? Price(string? raw, string field)
    {
        if (string.IsNullOrEmpty(raw)) return null;
        if (raw.Contains('\0') || !double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v < 0)
            throw new BadParameterException(field, $"{field} must be a non-negative number (got '{Clip(raw)}')");
        return v;
    }

    /// <summary>The order a search's results are shown in (<c>sort</c>); relevance when absent.</summary>
    public static SearchSort Sort(string? raw) => raw switch
    {
        null or "" or "relevance" => SearchSort.Relevance,
        "price_asc" => SearchSort.PriceAscending,
        "price_desc" => SearchSort.PriceDescending,
        "popular" => SearchSort.Popular,
        _ => throw new BadParameterException("sort", $"sort must be relevance, price_asc, price_desc or popular (got '{Clip(raw)}')"),
    };

    public static bool Flag(string? raw, string field)
    {
        if (raw is null) return false;
        // Any case: True was read and TRUE refused, and the message named only true and false.
        if (raw.Length == 0 || raw == "1" || raw.Equals("true", StringComparison.OrdinalIgnoreCase) || raw.Equals("yes", StringComparison.OrdinalIgnoreCase)) return true;
        if (raw == "0" || raw.Equals("false", StringComparison.OrdinalIgnoreCase) || raw.Equals("no", StringComparison.OrdinalIgnoreCase)) return false;
        throw new BadParameterException(field, $"{field} must be true or false (or 1/0, yes/no, in any case; a bare '{field}' is true), got '{Clip(raw)}'");
    }

    public static string? Filter(string? raw, string field, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        if (raw.Length > maxLength) throw new BadParameterException(field, $"{field} is {raw.Length} characters long; at most {maxLength} are allowed");
        return raw.Trim();
    }

    /// <summary>The query as caches see it: NFKC (full-width to half-width), lower case, runs of white space as one space.</summary>
    public static string NormaliseQuery(string? raw, int maxLength)
    {
        if (raw is null) throw new BadParameterException("q", "q is required (the search text)");
        if (raw.Length > maxLength) throw new BadParameterException("q", $"q is {raw.Length} characters long; at most {maxLength} are allowed");
        string s = raw.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        // Most searches come normalised already (Normalize and ToLowerInvariant then return the same string): kept as they are.
        if (IsCollapsed(s)) return s;
        var sb = new StringBuilder(s.Length);
        bool space = false;
        foreach (char c in s)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c)) { space = sb.Length > 0; continue; }
            if (space) { sb.Append(' '); space = false; }
            sb.Append(c);
        }
        if (sb.Length == 0) throw new BadParameterException("q", "q is empty; give some search text");
        return sb.ToString();
    }

    // Whether the loop of NormaliseQuery would give s back unchanged: not empty, no control characters, and no white
    // space but single U+0020 spaces between other characters.
    internal static bool IsCollapsed(string s)
    {
        if (s.Length == 0) return false;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsControl(c)) return false;
            if (!char.IsWhiteSpace(c)) continue;
            if (c != ' ' || i == 0 || i == s.Length - 1 || s[i + 1] == ' ') return false;
        }
        return true;
    }

    /// <summary>
    /// The product id of an <c>/items/{id}…</c> request as the client escaped it. ASP.NET leaves <c>%2F</c> escaped in a
    /// route value while it decodes <c>%25</c>, so an id holding '/' (<c>SKU/2025</c>) was not found and one holding
    /// "%2F" could not be told from it: an id with a '%' in its routed form is decoded from the raw path instead.
    /// </summary>
    public static string ItemId(HttpContext ctx, string routed)
    {
        if (!routed.Contains('%', StringComparison.Ordinal)) return routed;
        const string prefix = "/items/";
        var raw = ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        if (raw is null || !raw.StartsWith(prefix, StringComparison.Ordinal)) return routed;
        var end = raw.IndexOfAny(['/', '?'], prefix.Length);
        var segment = end < 0 ? raw[prefix.Length..] : raw[prefix.Length..end];
        try
        {
            return Uri.UnescapeDataString(segment);
        }
        catch (UriFormatException)
        {
            return routed;
        }
    }

    /// <summary>At most 40 characters of <paramref name="s"/> for a message, never half of a surrogate pair (an emoji).</summary>
    public static string Clip(string s) =>
        s.Length <= 40 ? s : s[..(char.IsHighSurrogate(s[39]) ? 39 : 40)] + "…";
}

/// <summary>How a search's results are ordered: by the ranker, or its re-ranked candidates by price or popularity.</summary>
internal enum SearchSort
{
    Relevance,
    PriceAscending,
    PriceDescending,
    Popular,
}
