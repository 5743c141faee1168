using System.Runtime.CompilerServices;

namespace SearchRec.Text.Internals;

/// <summary>Character classes used to split normalised text into segmentable blocks.</summary>
internal static class CharClass
{
    /// <summary>Han ideographs (BMP: CJK Unified, Extension A, Compatibility).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsHan(char c) => c is (>= '\u4E00' and <= '\u9FFF') or (>= '\u3400' and <= '\u4DBF') or (>= '\uF900' and <= '\uFAFF');

    /// <summary>Letters and digits other than Han: they form model-number runs kept whole.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsAlnum(char c)
    {
        if (c < 0x80) return c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or (>= 'A' and <= 'Z');
        return !IsHan(c) && !char.IsSurrogate(c) && char.IsLetterOrDigit(c);
    }

    /// <summary>Joiners kept inside a model number when letters or digits stand on both sides (<c>24-70mm</c>, <c>3.5mm</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsJoiner(char c) => c is '-' or '.' or '_';
}
