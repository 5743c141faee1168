using System.Text;

namespace SearchRec.Core;

/// <summary>
/// Reading the users' text files. Chinese data is often saved as GBK: read as UTF-8 it turns into replacement
/// characters without a word, and every title or query in it silently stops matching. So a file is checked to be
/// UTF-8 before anything of it is read, and refused naming its first bad line.
/// </summary>
public static class TextFiles
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> naming the file and the first line that is not valid UTF-8. A file
    /// that starts with a UTF-16 or UTF-32 byte-order mark is left to the reader, which decodes it by that mark.
    /// </summary>
    /// <param name="path">The file.</param>
    public static void CheckUtf8(string path)
    {
        Guard.NotNull(path);
        if (Directory.Exists(path)) throw new IOException($"{path} is a folder; a file was expected.");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        var chars = new char[buffer.Length + 4];
        var decoder = Strict.GetDecoder();   // GetChars, not GetCharCount: only it carries a character split between reads
        long line = 1;
        bool first = true;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (first && read >= 2 && (buffer[0], buffer[1]) is (0xFF, 0xFE) or (0xFE, 0xFF)) return;
            first = false;
            try
            {
                decoder.GetChars(buffer, 0, read, chars, 0, flush: false);
            }
            catch (DecoderFallbackException e)
            {
                // Index is where the bad sequence starts in this buffer (negative when it began in the previous one).
                line += buffer.AsSpan(0, Math.Clamp(e.Index, 0, read)).Count((byte)'\n');
                throw NotUtf8(path, line);
            }
            line += buffer.AsSpan(0, read).Count((byte)'\n');
        }
        try { decoder.GetChars([], 0, 0, chars, 0, flush: true); }
        catch (DecoderFallbackException) { throw NotUtf8(path, line); }   // cut off inside a character at the end
    }

    /// <summary>The lines of a text file, after <see cref="CheckUtf8"/>.</summary>
    /// <param name="path">The file.</param>
    public static IEnumerable<string> ReadLines(string path)
    {
        CheckUtf8(path);
        return File.ReadLines(path);
    }

    private static InvalidDataException NotUtf8(string path, long line) =>
        new($"{path}:{line}: not valid UTF-8. Is the file in GBK or another encoding? Convert it first, for instance: iconv -f gbk -t utf-8 IN > OUT");
}
