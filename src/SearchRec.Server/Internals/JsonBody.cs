using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SearchRec.Server.Internals;

/// <summary>
/// Reads a request's JSON body. JSON is UTF-8, and System.Text.Json does not check the bytes inside strings until a
/// string is read, so a body saved as GBK (a common Chinese encoding) passed the parse and failed later with a 500.
/// The bytes are checked first, and a body that is not UTF-8 is refused naming the line and byte where it stops being
/// UTF-8, as a malformed body is.
/// </summary>
internal static class JsonBody
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 8 };

    /// <summary>The parsed body, or the 400 answer saying why it cannot be.</summary>
    public static async Task<(JsonDocument? Doc, IResult? Error)> ReadAsync(HttpContext ctx)
    {
        using var buffer = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(buffer, ctx.RequestAborted).ConfigureAwait(false);
        ReadOnlyMemory<byte> body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (body.Span.StartsWith("\uFEFF"u8)) body = body[3..];   // a byte-order mark, as a stream parse skips it

        if (FirstInvalidUtf8(body.Span) is int bad)
        {
            var (line, column) = Position(body.Span, bad);
            return (null, Results.Json(new ApiError(
                $"the body is not UTF-8 at line {line}, byte {column}: JSON is sent in UTF-8; convert a GBK text first, for instance with iconv -f gbk -t utf-8",
                "body"), statusCode: 400));
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, Options);
        }
        catch (JsonException ex)
        {
            return (null, Results.Json(new ApiError(
                $"malformed JSON at line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: {FirstSentence(ex.Message)}", "body"), statusCode: 400));
        }
        if (FirstBadEscape(body.Span) is int escape)
        {
            doc.Dispose();
            var (line, column) = Position(body.Span, escape);
            return (null, Results.Json(new ApiError(
                $"the string at line {line}, byte {column} has an escape that is no character: half of a UTF-16 surrogate pair (\\ud800 to \\udfff) without its other half",
                "body"), statusCode: 400));
        }
        return (doc, null);
    }

    /// <summary>
    /// The offset of the first string or property name whose escapes do not decode to text (a lone surrogate such as
    /// <c>"\ud800"</c>), or null. The parse accepts them and reading the string throws, which was a 500 on
    /// <c>POST /events</c> and <c>POST /admin/products</c>. Only escaped strings are decoded.
    /// </summary>
    internal static int? FirstBadEscape(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = Options.MaxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped) continue;
            try { reader.GetString(); }
            catch (InvalidOperationException) { return (int)reader.TokenStartIndex; }
        }
        return null;
    }

    /// <summary>The offset of the first byte that does not start a valid UTF-8 sequence; null when all do.</summary>
    internal static int? FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return null;
        int i = 0;
        while (i < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out var consumed) != OperationStatus.Done) return i;
            i += consumed;
        }
        return null;
    }

    // 1-based line and byte within the line, as the malformed-JSON answer counts them.
    private static (int Line, int Byte) Position(ReadOnlySpan<byte> bytes, int offset)
    {
        var before = bytes[..offset];
        int lastNewline = before.LastIndexOf((byte)'\n');
        return (before.Count((byte)'\n') + 1, offset - lastNewline);
    }

    private static string FirstSentence(string message)
    {
        int i = message.IndexOf(". ", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }
}
