using SearchRec.Core;
using SearchRec.Text;

namespace SearchRec.Deep.Text;

/// <summary>
/// Turns a query or a title into the text tower's input: hashed bucket ids of its words (from an
/// <see cref="ITokenizer"/>, when one is given) and of its character 1-, 2- and 3-grams. Bucket 0 is padding.
/// Training and serving share this class, so a user's own ONNX text tower must take the same ids
/// (see <c>docs/deep-model.md</c>). Thread-safe when the tokenizer is.
/// </summary>
/// <remarks>
/// Normalisation: full-width ASCII folded to half-width, traditional Chinese to simplified (unless
/// <see cref="TextFeaturizerOptions.FoldTraditional"/> is off), lower-cased; characters that are not letters or
/// digits separate runs, and n-grams never cross a separator. Text beyond <see cref="TextFeaturizerOptions.MaxChars"/>
/// characters is ignored, and at most <see cref="TextFeaturizerOptions.MaxIds"/> ids are produced
/// (words first, then unigrams, bigrams, trigrams), so a 10,000-character query is truncated, not refused.
/// Hash: FNV-1a (32-bit) over the UTF-16 code units of the kind tag (<c>w</c>, <c>1</c>, <c>2</c>, <c>3</c>)
/// followed by the gram, then <c>1 + hash mod (buckets − 1)</c>.
/// </remarks>
public sealed class TextFeaturizer
{
    private readonly ITokenizer? _tokenizer;
    private readonly float[]? _bucketWeights;

    /// <summary>Creates a featurizer; <paramref name="tokenizer"/> null means character n-grams only.</summary>
    public TextFeaturizer(TextFeaturizerOptions options, ITokenizer? tokenizer = null) : this(options, tokenizer, null)
    {
    }

    /// <summary>
    /// Creates a featurizer whose <see cref="Weigh"/> gives each id the weight of its bucket (the catalog IDF the
    /// text model was trained with); null gives every id weight 1.
    /// </summary>
    public TextFeaturizer(TextFeaturizerOptions options, ITokenizer? tokenizer, float[]? bucketWeights)
    {
        Guard.NotNull(options);
        options.Validate();
        if (bucketWeights is not null && bucketWeights.Length != options.Buckets)
            throw new ArgumentException($"bucket weights have {bucketWeights.Length} entries; the featurizer has {options.Buckets} buckets.", nameof(bucketWeights));
        Options = options;
        _tokenizer = tokenizer;
        _bucketWeights = bucketWeights;
    }

    /// <summary>Writes the weight of each id (its bucket weight, or 1 without bucket weights) into <paramref name="weights"/>.</summary>
    public void Weigh(ReadOnlySpan<long> ids, Span<float> weights)
    {
        if (_bucketWeights is null) { weights[..ids.Length].Fill(1f); return; }
        for (var i = 0; i < ids.Length; i++) weights[i] = _bucketWeights[ids[i]];
    }

    /// <summary>
    /// BM25-style IDF of every bucket over <paramref name="texts"/> (a text counts once per bucket):
    /// <c>ln(1 + (N − df + 0.5) / (df + 0.5))</c>; padding 0 gets 0. Rare grams then weigh more in the bag's mean.
    /// </summary>
    public float[] Idf(IReadOnlyList<string> texts)
    {
        Guard.NotNull(texts);
        var df = new int[Options.Buckets];
        var seen = new int[Options.Buckets];
        var ids = new long[Options.MaxIds];
        for (var t = 0; t < texts.Count; t++)
        {
            var n = Featurize(texts[t], ids);
            for (var i = 0; i < n; i++)
            {
                var b = (int)ids[i];
                if (seen[b] == t + 1) continue;
                seen[b] = t + 1;
                df[b]++;
            }
        }
        var idf = new float[Options.Buckets];
        double total = texts.Count;
        for (var b = 1; b < idf.Length; b++) idf[b] = (float)Math.Log(1 + (total - df[b] + 0.5) / (df[b] + 0.5));
        return idf;
    }

    /// <summary>The options (buckets, limits) this featurizer uses.</summary>
    public TextFeaturizerOptions Options { get; }

    /// <summary>True when words from a tokenizer are part of the input.</summary>
    public bool UsesWords => _tokenizer is not null;

    /// <summary>
    /// Writes the ids of <paramref name="text"/> into <paramref name="ids"/> (at most its length and
    /// <see cref="TextFeaturizerOptions.MaxIds"/>) and returns how many were written; 0 for empty text.
    /// </summary>
    public int Featurize(string? text, Span<long> ids)
    {
        if (string.IsNullOrEmpty(text)) return 0;
        var limit = Math.Min(ids.Length, Options.MaxIds);
        if (limit == 0) return 0;
        var cut = text.Length > Options.MaxChars ? text[..Options.MaxChars] : text;
        if (Options.FoldTraditional) cut = TraditionalChinese.ToSimplified(cut);
        var raw = cut.AsSpan();
        Span<char> norm = stackalloc char[raw.Length];
        Normalize(raw, norm);
        var n = 0;
        var buckets = Options.Buckets;
        if (_tokenizer is not null)
        {
            var words = _tokenizer.Tokenize(cut);
            Span<char> wbuf = stackalloc char[64];
            for (var i = 0; i < words.Count && n < limit; i++)
            {
                var w = words[i];
                if (w.Length == 0) continue;
                var span = w.Length <= wbuf.Length ? wbuf[..w.Length] : new char[w.Length];
                Normalize(w, span);
                ids[n++] = Bucket('w', span, buckets);
            }
        }
        for (var size = 1; size <= 3 && n < limit; size++)
        {
            var tag = (char)('0' + size);
            for (var i = 0; i + size <= norm.Length && n < limit; i++)
            {
                var gram = norm.Slice(i, size);
                if (gram.IndexOf(' ') >= 0) continue;
                ids[n++] = Bucket(tag, gram, buckets);
            }
        }
        return n;
    }

    /// <summary>The ids of a text as a new array (convenience for tests and tools; not for hot paths).</summary>
    public long[] Featurize(string? text)
    {
        var buf = new long[Options.MaxIds];
        var n = Featurize(text, buf);
        return buf.AsSpan(0, n).ToArray();
    }

    // Separators become ' ' so n-grams can skip them without a second pass.
    private static void Normalize(ReadOnlySpan<char> src, Span<char> dst)
    {
        for (var i = 0; i < src.Length; i++)
        {
            var c = src[i];
            if (c >= '\uFF01' && c <= '\uFF5E') c = (char)(c - 0xFEE0);
            dst[i] = char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : ' ';
        }
    }

    internal static long Bucket(char tag, ReadOnlySpan<char> gram, int buckets)
    {
        unchecked
        {
            var h = 2166136261u;
            h = (h ^ tag) * 16777619u;
            foreach (var c in gram) h = (h ^ c) * 16777619u;
            return 1 + (long)(h % (uint)(buckets - 1));
        }
    }
}

/// <summary>Options of <see cref="TextFeaturizer"/>. Stored in the model manifest so serving hashes as training did.</summary>
public sealed class TextFeaturizerOptions
{
    /// <summary>Hash buckets, including the padding bucket 0. Default 131,072 (2^17).</summary>
    public int Buckets { get; set; } = 1 << 17;

    /// <summary>Characters of a text that are read; the rest is ignored. Default 256.</summary>
    public int MaxChars { get; set; } = 256;

    /// <summary>Most ids produced for one text. Default 256.</summary>
    public int MaxIds { get; set; } = 256;

    /// <summary>
    /// Whether traditional Chinese characters are folded to simplified ones before featurizing
    /// (<see cref="TraditionalChinese"/>), as the index's analyzers do. Default true; recorded in the model's
    /// manifest, so a model trained before it existed is served without it.
    /// </summary>
    public bool FoldTraditional { get; set; } = true;

    /// <summary>Throws naming the first bad field.</summary>
    public void Validate()
    {
        if (Buckets < 16) throw new ArgumentOutOfRangeException(nameof(Buckets), Buckets, "TextFeaturizerOptions.Buckets must be at least 16.");
        if (MaxChars < 1) throw new ArgumentOutOfRangeException(nameof(MaxChars), MaxChars, "TextFeaturizerOptions.MaxChars must be positive.");
        if (MaxIds < 1) throw new ArgumentOutOfRangeException(nameof(MaxIds), MaxIds, "TextFeaturizerOptions.MaxIds must be positive.");
    }
}
