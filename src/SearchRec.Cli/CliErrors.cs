using System.Text.RegularExpressions;

namespace SearchRec.Cli;

/// <summary>How the commands print an exception they refuse bad input with: one line, without .NET's parameter suffixes.</summary>
internal static partial class CliErrors
{
    /// <summary>Prints a note about accepted but doubtful input (a qrels pair graded twice) on stderr, as <c>note: …</c>.</summary>
    public static void Note(string message) => Console.Error.WriteLine("note: " + message);

    /// <summary>
    /// <paramref name="e"/>'s message without the <c>(Parameter 'x')</c> and <c>Actual value was y.</c> that
    /// <see cref="ArgumentException"/> adds: the message already names the setting, as the user would type it or as
    /// the options object calls it.
    /// </summary>
    public static string Message(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e is ArgumentException ? Suffixes().Replace(e.Message, "").Trim() : e.Message;
    }

    /// <summary>
    /// <paramref name="e"/>'s message, with an options object's property (<c>ShopOptions.Products</c>) written as the
    /// command's flag (<c>--products</c>) when <paramref name="flagOf"/> knows the exception's parameter.
    /// </summary>
    public static string Message(Exception e, string optionsType, Func<string, string?> flagOf)
    {
        ArgumentNullException.ThrowIfNull(flagOf);
        var message = Message(e);
        return e is ArgumentException { ParamName: { } name } && flagOf(name) is { } flag
            ? message.Replace($"{optionsType}.{name}", flag, StringComparison.Ordinal)
            : message;
    }

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)|\s*Actual value was [^\r\n]*")]
    private static partial Regex Suffixes();
}
