using System.Text;
using SearchRec.Core.Catalog;
using SearchRec.Core.Events;
using SearchRec.Core.Judgments;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Core.Tests;

public sealed class TextFilesTests
{
    // "手机" in GBK: not valid UTF-8.
    private static readonly byte[] GbkPhone = [0xCA, 0xD6, 0xBB, 0xFA];

    private static string WriteBytes(TempDir dir, string name, params byte[][] parts)
    {
        var path = dir.File(name);
        File.WriteAllBytes(path, parts.SelectMany(p => p).ToArray());
        return path;
    }

    [Fact]
    public void A_file_in_gbk_is_refused_naming_its_first_bad_line()
    {
        using var dir = new TempDir();
        var path = WriteBytes(dir, "q.tsv", Encoding.UTF8.GetBytes("1\tiphone\n2\t连衣裙\n3\t"), GbkPhone, "\n"u8.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => TextFiles.CheckUtf8(path));
        Assert.StartsWith($"{path}:3: not valid UTF-8", e.Message, StringComparison.Ordinal);
        Assert.Contains("iconv -f gbk -t utf-8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_bad_line_is_counted_right_past_the_first_megabyte_and_in_a_character_cut_off_at_the_end()
    {
        using var dir = new TempDir();
        var line = Encoding.UTF8.GetBytes(new string('x', 99) + "\n");
        var many = Enumerable.Repeat(line, 20_000).SelectMany(b => b).ToArray();   // 2 MB, 20,000 lines
        var path = WriteBytes(dir, "big.tsv", many, "ok\n"u8.ToArray(), GbkPhone);
        Assert.StartsWith($"{path}:20002: not valid UTF-8", Assert.Throws<InvalidDataException>(() => TextFiles.CheckUtf8(path)).Message, StringComparison.Ordinal);

        var cut = WriteBytes(dir, "cut.tsv", "1\t连衣裙\n2\t"u8.ToArray(), Encoding.UTF8.GetBytes("裙")[..2]);
        Assert.StartsWith($"{cut}:2: not valid UTF-8", Assert.Throws<InvalidDataException>(() => TextFiles.CheckUtf8(cut)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Utf8_with_or_without_a_byte_order_mark_and_utf16_with_one_are_read()
    {
        using var dir = new TempDir();
        TextFiles.CheckUtf8(WriteBytes(dir, "plain.tsv", "1\t连衣裙\r\n"u8.ToArray()));
        TextFiles.CheckUtf8(WriteBytes(dir, "bom.tsv", [0xEF, 0xBB, 0xBF], "1\t连衣裙\n"u8.ToArray()));
        TextFiles.CheckUtf8(WriteBytes(dir, "empty.tsv"));
        // A character split between the checker's 1 MiB reads is still one character.
        TextFiles.CheckUtf8(WriteBytes(dir, "split.tsv", Enumerable.Repeat((byte)'x', (1 << 20) - 1).ToArray(), "连衣裙\n"u8.ToArray()));
        var utf16 = WriteBytes(dir, "utf16.tsv", Encoding.Unicode.GetPreamble(), Encoding.Unicode.GetBytes("1\t连衣裙\n"));
        Assert.Equal([("1", "连衣裙")], JudgmentReader.ReadQueries(utf16));
    }

    [Fact]
    public void Catalog_events_and_judgment_readers_refuse_a_gbk_file_before_reading_any_of_it()
    {
        using var dir = new TempDir();
        var catalog = WriteBytes(dir, "c.tsv", "1\tiphone 壳\n2\t"u8.ToArray(), GbkPhone, "\n"u8.ToArray());
        Assert.Contains($"{catalog}:2: not valid UTF-8", Assert.Throws<InvalidDataException>(() => CatalogReader.ReadFiles([catalog])).Message, StringComparison.Ordinal);
        var events = WriteBytes(dir, "e.csv", "1,2,3,pv,1512230400\n"u8.ToArray(), GbkPhone, "\n"u8.ToArray());
        Assert.Contains($"{events}:2: not valid UTF-8", Assert.Throws<InvalidDataException>(() => EventCsvReader.ReadFile(events, _ => { })).Message, StringComparison.Ordinal);
        var queries = WriteBytes(dir, "q.tsv", "1\t"u8.ToArray(), GbkPhone, "\n"u8.ToArray());
        Assert.Contains($"{queries}:1: not valid UTF-8", Assert.Throws<InvalidDataException>(() => JudgmentReader.ReadQueries(queries)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_given_as_a_file_is_named_as_a_folder()
    {
        using var dir = new TempDir();
        Assert.Equal($"{dir.Path} is a folder; a file was expected.", Assert.Throws<IOException>(() => TextFiles.CheckUtf8(dir.Path)).Message);
    }
}
