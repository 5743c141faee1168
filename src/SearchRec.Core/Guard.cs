using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SearchRec.Core;

/// <summary>Argument checks for public members; the throw sits in a non-inlined helper.</summary>
public static class Guard
{
    /// <summary>Throws when <paramref name="value"/> is null.</summary>
    public static T NotNull<T>([NotNull] T? value, [CallerArgumentExpression(nameof(value))] string? name = null)
        where T : class
    {
        if (value is null) ThrowNull(name);
        return value;
    }

    /// <summary>Throws when <paramref name="value"/> is not positive.</summary>
    public static int Positive(int value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (value <= 0) ThrowRange(name, value, "must be positive");
        return value;
    }

    /// <summary>Throws when <paramref name="value"/> is outside [min, max].</summary>
    public static double InRange(double value, double min, double max, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!(value >= min && value <= max)) ThrowRange(name, value, $"must be in [{min}, {max}]");
        return value;
    }

    [DoesNotReturn]
    private static void ThrowNull(string? name) => throw new ArgumentNullException(name);

    [DoesNotReturn]
    private static void ThrowRange(string? name, object value, string rule) =>
        throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}.");
}
