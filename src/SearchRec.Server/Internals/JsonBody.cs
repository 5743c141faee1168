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
        try
        {
            return (JsonDocument.Parse(body, Options), null);
        }
        catch (JsonException ex)
        {
            return (null, Results.Json(new ApiError(
                $"malformed JSON at line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: {FirstSentence(ex.Message)}", "body"), statusCode: 400));
        }
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
