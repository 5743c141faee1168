using System.Buffers;
using System.Globalization;
using SearchRec.Text.Internals;

namespace SearchRec.Text;

/// <summary>
/// Chinese word segmenter in the manner of jieba: builds the directed acyclic graph of dictionary words over each
/// run of Han characters, takes its most probable path by word log-frequency, and cuts stretches the dictionary
/// does not cover with an HMM (Viterbi over B/M/E/S states). Runs of Latin letters and digits, with inner
/// <c>-</c>, <c>.</c> or <c>_</c>, stay whole as model numbers (<c>iphone15</c>, <c>24-70mm</c>); punctuation,
/// spaces, symbols and emoji are dropped. Text is normalised first (<see cref="TextNormalizer"/>).
/// Thread-safe: <see cref="Cut"/> may run on many threads while <see cref="AddWord"/> adds words.
/// </summary>
public sealed class ChineseSegmenter
{
    // Longer letter/digit runs are cut into pieces of this length (Lucene's usual maximum token length).
    private const int MaxRunLength = 255;

    private static readonly Lazy<ChineseSegmenter> s_default = new(() => new ChineseSegmenter(), LazyThreadSafetyMode.ExecutionAndPublication);

    // Log-probabilities log(freq / total); trie nodes that are only prefixes hold NaN.
    private readonly WordTrie _trie;
    private readonly double _logTotal;
    private readonly double _unknownLogProb;
    private readonly double[] _start;
    private readonly double[] _trans;
    private readonly double[][] _emit;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);

    /// <summary>A new segmenter with its own copy of the embedded jieba dictionary (use it to add words without touching <see cref="Default"/>).</summary>
    public ChineseSegmenter()
        : this(JiebaData.Embedded)
    {
    }

    internal ChineseSegmenter(JiebaData data)
    {
        long total = 0;
        foreach (long f in data.Freqs) total += f;
        _logTotal = Math.Log(Math.Max(total, 1));
        _unknownLogProb = -_logTotal;
        string[] words = data.Words;
        long[] freqs = data.Freqs;
        if (!IsNormalizedAndSorted(words))
        {
            (words, freqs) = NormalizeAndMerge(words, freqs);
        }
        var values = new double[words.Length];
        for (int i = 0; i < words.Length; i++) values[i] = freqs[i] > 0 ? Math.Log(freqs[i]) - _logTotal : double.NaN;
        _trie = new WordTrie(words, values);
        _start = data.StartLogProb;
        _trans = data.TransLogProb;
        _emit = data.EmitLogProb;
    }

    /// <summary>The shared segmenter over the embedded dictionary, loaded on first use.</summary>
    public static ChineseSegmenter Default => s_default.Value;

    /// <summary>Number of dictionary words (not counting prefix-only trie nodes).</summary>
    internal int WordCount
    {
        get
        {
            _lock.EnterReadLock();
            try { return _trie.WordCount; }
            finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>Cuts <paramref name="text"/> into normalised words, in text order.</summary>
    /// <param name="text">Any text; it is normalised (full width to half width, lower case) first.</param>
    /// <param name="mode"><see cref="SegmentMode.Search"/> adds the dictionary words inside long words.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public IReadOnlyList<string> Cut(string text, SegmentMode mode = SegmentMode.Accurate)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) return [];
        char[] norm = ArrayPool<char>.Shared.Rent(text.Length);
        try
        {
            TextNormalizer.Normalize(text, norm);
            var tokens = new TokenBuffer();
            Segment(norm.AsSpan(0, text.Length), mode, tokens);
            var result = new string[tokens.Count];
            for (int i = 0; i < tokens.Count; i++)
            {
                SegToken t = tokens[i];
                result[i] = new string(norm, t.Start, t.Length);
            }
            return result;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(norm);
        }
    }

    /// <summary>Adds a user word (a brand or product term) or changes its frequency.</summary>
    /// <param name="word">The word; normalised like text. Letters, digits, Han characters and inner <c>-._</c> only.</param>
    /// <param name="frequency">Its count in the dictionary's scale; 0 picks a count just high enough that the word is kept whole.</param>
    /// <exception cref="ArgumentException">The word is empty or holds spaces or punctuation, or the frequency is negative.</exception>
    public void AddWord(string word, long frequency = 0)
    {
        ArgumentNullException.ThrowIfNull(word);
        string key = TextNormalizer.Normalize(word.Trim());
        string? problem = CheckWord(key) ?? (frequency < 0 ? "frequency must be 0 or more" : null);
        if (problem != null) throw new ArgumentException($"Cannot add user word '{word}': {problem}.", nameof(word));
        _lock.EnterWriteLock();
        try
        {
            SetWord(key, frequency);
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>
    /// Loads a user dictionary: UTF-8 lines <c>word [frequency]</c> (a third jieba-style tag column is ignored);
    /// blank lines and lines starting with <c>#</c> are skipped. The file is checked whole before any word is added.
    /// </summary>
    /// <exception cref="FormatException">A bad line; the message names the file and line number.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public void LoadUserDictionary(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"User dictionary '{path}' not found.", path);
        var entries = new List<(string Word, long Freq)>();
        int lineNo = 0;
        foreach (string line in SearchRec.Core.TextFiles.ReadLines(path))
        {
            lineNo++;
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#') continue;
            string[] parts = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 3) throw new FormatException($"{path}:{lineNo}: expected 'word [frequency]', got {parts.Length} columns: '{trimmed}'.");
            string key = TextNormalizer.Normalize(parts[0]);
            string? problem = CheckWord(key);
            if (problem != null) throw new FormatException($"{path}:{lineNo}: bad word '{parts[0]}': {problem}.");
            long freq = 0;
            if (parts.Length >= 2 && (!long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out freq)))
                throw new FormatException($"{path}:{lineNo}: frequency '{parts[1]}' is not a non-negative whole number.");
            entries.Add((key, freq));
        }
        _lock.EnterWriteLock();
        try
        {
            foreach (var (word, freq) in entries) SetWord(word, freq);
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Segments already-normalised text; token offsets are relative to <paramref name="text"/>.</summary>
    internal void Segment(ReadOnlySpan<char> text, SegmentMode mode, TokenBuffer output)
    {
        int n = text.Length;
        if (n == 0) return;
        // Work arrays are rented once per call and sliced per block.
        int[] ints = ArrayPool<int>.Shared.Rent(2 * n);
        uint[] lengths = ArrayPool<uint>.Shared.Rent(n);
        double[] doubles = ArrayPool<double>.Shared.Rent(5 * n + 1);
        byte[] back = ArrayPool<byte>.Shared.Rent(4 * n);
        _lock.EnterReadLock();
        try
        {
            int i = 0;
            while (i < n)
            {
                char c = text[i];
                if (!CharClass.IsHan(c) && !CharClass.IsAlnum(c))
                {
                    i++;
                    continue;
                }
                int j = i + 1;
                while (j < n)
                {
                    char d = text[j];
                    if (CharClass.IsHan(d) || CharClass.IsAlnum(d)) j++;
                    else if (CharClass.IsJoiner(d) && CharClass.IsAlnum(text[j - 1]) && j + 1 < n && CharClass.IsAlnum(text[j + 1])) j++;
                    else break;
                }
                int m = j - i;
                var scratch = new BlockScratch(
                    ints.AsSpan(i, m), ints.AsSpan(n + i, m), lengths.AsSpan(i, m), doubles.AsSpan(i, m + 1),
                    doubles.AsSpan(n + 1 + 4 * i, 4 * m), back.AsSpan(4 * i, 4 * m));
                SegmentBlock(text.Slice(i, m), i, mode, scratch, output);
                i = j;
            }
        }
        finally
        {
            _lock.ExitReadLock();
            ArrayPool<int>.Shared.Return(ints);
            ArrayPool<uint>.Shared.Return(lengths);
            ArrayPool<double>.Shared.Return(doubles);
            ArrayPool<byte>.Shared.Return(back);
        }
    }

    private void SegmentBlock(ReadOnlySpan<char> block, int blockStart, SegmentMode mode, BlockScratch scratch, TokenBuffer output)
    {
        int m = block.Length;
        MarkUnits(block, scratch.UnitEnd);
        BestRoute(block, scratch);

        int k = 0, buf = -1;
        while (k < m)
        {
            int e = scratch.RouteEnd[k];
            if (e - k == 1 && CharClass.IsHan(block[k]))
            {
                if (buf < 0) buf = k;
                k = e;
                continue;
            }
            if (buf >= 0)
            {
                FlushSingles(block, buf, k, blockStart, mode, scratch, output);
                buf = -1;
            }
            EmitWord(block, k, e, blockStart, mode, scratch.Lengths, output);
            k = e;
        }
        if (buf >= 0) FlushSingles(block, buf, m, blockStart, mode, scratch, output);
    }

    /// <summary>Per-block work arrays (pooled), one entry per character.</summary>
    private readonly ref struct BlockScratch(
        Span<int> unitEnd, Span<int> routeEnd, Span<uint> lengths, Span<double> routeProb, Span<double> viterbiProb, Span<byte> viterbiBack)
    {
        /// <summary>End of the atomic unit starting here (a Han char or a whole letter/digit run); 0 inside a run.</summary>
        public readonly Span<int> UnitEnd = unitEnd;

        /// <summary>End of the word the best path takes from here.</summary>
        public readonly Span<int> RouteEnd = routeEnd;

        /// <summary>Bit L set when the L characters from here form a dictionary word (L &lt; 32): the DAG's edges.</summary>
        public readonly Span<uint> Lengths = lengths;

        /// <summary>Best log-probability of the rest of the block from here.</summary>
        public readonly Span<double> RouteProb = routeProb;

        /// <summary>Viterbi log-probabilities, four states per character.</summary>
        public readonly Span<double> ViterbiProb = viterbiProb;

        /// <summary>Viterbi back-pointers, four states per character.</summary>
        public readonly Span<byte> ViterbiBack = viterbiBack;
    }

    private static void MarkUnits(ReadOnlySpan<char> block, Span<int> unitEnd)
    {
        int m = block.Length;
        int k = 0;
        while (k < m)
        {
            if (CharClass.IsHan(block[k]))
            {
                unitEnd[k] = k + 1;
                k++;
                continue;
            }
            int r = k;
            while (r < m && !CharClass.IsHan(block[r])) r++;
            for (int s = k; s < r; s += MaxRunLength)
            {
                int end = Math.Min(s + MaxRunLength, r);
                unitEnd[s] = end;
                for (int x = s + 1; x < end; x++) unitEnd[x] = 0;
            }
            k = r;
        }
    }

    // Right-to-left dynamic programme over the DAG, walking the trie from each position (jieba's calc).
    private void BestRoute(ReadOnlySpan<char> block, BlockScratch scratch)
    {
        int m = block.Length;
        Span<int> unitEnd = scratch.UnitEnd;
        Span<double> routeProb = scratch.RouteProb;
        routeProb[m] = 0;
        for (int k = m - 1; k >= 0; k--)
        {
            scratch.Lengths[k] = 0;
            int e0 = unitEnd[k];
            if (e0 == 0)
            {
                routeProb[k] = double.NegativeInfinity;
                scratch.RouteEnd[k] = k + 1;
                continue;
            }
            double best = double.NegativeInfinity;
            int bestEnd = e0;
            uint lengths = 0;
            int node = _trie.RootChild(block[k]);
            for (int e = k + 1; node != WordTrie.None; e++)
            {
                double v = _trie.Value(node);
                // Words ending inside a letter/digit run would split a model number: not an edge.
                if (!double.IsNaN(v) && (e == m || unitEnd[e] != 0))
                {
                    if (e - k < 32) lengths |= 1u << (e - k);
                    double cand = v + routeProb[e];
                    if (cand > best || (cand == best && e > bestEnd))
                    {
                        best = cand;
                        bestEnd = e;
                    }
                }
                if (e == m) break;
                node = _trie.Child(node, block[e]);
            }
            // The unit itself is always an edge; an unknown character or run counts as a word seen once.
            if ((e0 - k >= 32 || (lengths & (1u << (e0 - k))) == 0))
            {
                double cand = _unknownLogProb + routeProb[e0];
                if (cand > best)
                {
                    best = cand;
                    bestEnd = e0;
                }
            }
            scratch.Lengths[k] = lengths;
            routeProb[k] = best;
            scratch.RouteEnd[k] = bestEnd;
        }
    }

    // A stretch of single Han characters on the best path: a known word is kept as single chars (as jieba does),
    // an unknown stretch goes through the HMM, which may join characters into new words.
    private void FlushSingles(ReadOnlySpan<char> block, int start, int end, int offset, SegmentMode mode, BlockScratch scratch, TokenBuffer output)
    {
        int len = end - start;
        if (len == 1)
        {
            output.Add(offset + start, 1, 1);
            return;
        }
        bool known = len < 32 ? (scratch.Lengths[start] & (1u << len)) != 0 : !double.IsNaN(_trie.WordValue(block[start..end]));
        if (known)
        {
            for (int k = start; k < end; k++) output.Add(offset + k, 1, 1);
            return;
        }
        Viterbi(block, start, end, offset, mode, scratch, output);
    }

    private static void EmitWord(ReadOnlySpan<char> block, int start, int end, int offset, SegmentMode mode, Span<uint> lengths, TokenBuffer output)
    {
        int len = end - start;
        output.Add(offset + start, len, 1);
        if (mode != SegmentMode.Search || len <= 2 || !CharClass.IsHan(block[start])) return;
        // Sub-words (dictionary words of 2 and 3 chars, from the DAG) stack on the word's position (increment 0),
        // ordered by start so offsets never go back.
        for (int s = start; s + 2 <= end; s++)
        {
            uint l = lengths[s];
            if ((l & (1u << 2)) != 0) output.Add(offset + s, 2, 0);
            if (len > 3 && s + 3 <= end && (l & (1u << 3)) != 0) output.Add(offset + s, 3, 0);
        }
    }

    // States: 0 B(egin), 1 M(iddle), 2 E(nd), 3 S(ingle).
    private void Viterbi(ReadOnlySpan<char> block, int start, int end, int offset, SegmentMode mode, BlockScratch scratch, TokenBuffer output)
    {
        int len = end - start;
        Span<double> prob = scratch.ViterbiProb.Slice(4 * start, 4 * len);
        Span<byte> back = scratch.ViterbiBack.Slice(4 * start, 4 * len);
        char c0 = block[start];
        for (int s = 0; s < 4; s++) prob[s] = _start[s] + _emit[s][c0];
        for (int t = 1; t < len; t++)
        {
            char c = block[start + t];
            int row = t * 4, prev = row - 4;
            Step(prob, back, prev, row, 0, 2, 3, _emit[0][c]); // B <- E, S
            Step(prob, back, prev, row, 1, 1, 0, _emit[1][c]); // M <- M, B
            Step(prob, back, prev, row, 2, 0, 1, _emit[2][c]); // E <- B, M
            Step(prob, back, prev, row, 3, 3, 2, _emit[3][c]); // S <- S, E
        }
        int last = (len - 1) * 4;
        int state = prob[last + 3] >= prob[last + 2] ? 3 : 2;
        // Backtrack; once row t's pointer is read, its first cell holds the chosen state.
        for (int t = len - 1; t >= 0; t--)
        {
            int prevState = back[t * 4 + state];
            back[t * 4] = (byte)state;
            state = prevState;
        }
        int begin = 0, next = 0;
        for (int t = 0; t < len; t++)
        {
            switch (back[t * 4])
            {
                case 0:
                    begin = t;
                    break;
                case 2:
                    EmitWord(block, start + begin, start + t + 1, offset, mode, scratch.Lengths, output);
                    next = t + 1;
                    break;
                case 3:
                    output.Add(offset + start + t, 1, 1);
                    next = t + 1;
                    break;
            }
        }
        if (next < len) EmitWord(block, start + next, end, offset, mode, scratch.Lengths, output);
    }

    private void Step(Span<double> prob, Span<byte> back, int prev, int row, int to, int fromA, int fromB, double emit)
    {
        double a = prob[prev + fromA] + _trans[fromA * 4 + to];
        double b = prob[prev + fromB] + _trans[fromB * 4 + to];
        if (a >= b)
        {
            prob[row + to] = a + emit;
            back[row + to] = (byte)fromA;
        }
        else
        {
            prob[row + to] = b + emit;
            back[row + to] = (byte)fromB;
        }
    }

    private static string? CheckWord(string key)
    {
        if (key.Length == 0) return "it is empty";
        if (key.Length > MaxRunLength) return $"it is longer than {MaxRunLength} characters";
        for (int i = 0; i < key.Length; i++)
        {
            char c = key[i];
            if (CharClass.IsHan(c) || CharClass.IsAlnum(c)) continue;
            if (CharClass.IsJoiner(c) && i > 0 && i + 1 < key.Length && CharClass.IsAlnum(key[i - 1]) && CharClass.IsAlnum(key[i + 1])) continue;
            return $"character '{c}' at {i} is not a letter, digit or Han character (such words never match)";
        }
        return null;
    }

    // Caller holds the write lock. The dictionary total is kept fixed, so other words' log-probabilities stay valid.
    private void SetWord(string key, long frequency)
    {
        if (frequency > 0)
        {
            _trie.Set(key, Math.Log(frequency) - _logTotal);
            return;
        }
        // As jieba's suggest_freq: just above the probability of the best split into other words.
        double old = _trie.WordValue(key);
        if (!double.IsNaN(old)) _trie.Set(key, double.NaN);
        double split = BestSplitLogProb(key);
        double f = Math.Floor(Math.Exp(split + _logTotal)) + 1;
        if (!double.IsNaN(old)) f = Math.Max(f, Math.Exp(old + _logTotal));
        _trie.Set(key, Math.Log(f) - _logTotal);
    }

    private double BestSplitLogProb(string key)
    {
        int m = key.Length;
        var scratch = new BlockScratch(new int[m], new int[m], new uint[m], new double[m + 1], default, default);
        MarkUnits(key, scratch.UnitEnd);
        BestRoute(key, scratch);
        return scratch.RouteProb[0];
    }

    private static bool IsNormalizedAndSorted(string[] words)
    {
        for (int i = 0; i < words.Length; i++)
        {
            string w = words[i];
            if (w.Length == 0 || !ReferenceEquals(TextNormalizer.Normalize(w), w)) return false;
            if (i > 0 && string.CompareOrdinal(words[i - 1], w) >= 0) return false;
        }
        return true;
    }

    private static (string[] Words, long[] Freqs) NormalizeAndMerge(string[] words, long[] freqs)
    {
        var merged = new Dictionary<string, long>(words.Length, StringComparer.Ordinal);
        for (int i = 0; i < words.Length; i++)
        {
            if (words[i].Length == 0) continue;
            string w = TextNormalizer.Normalize(words[i]);
            merged[w] = merged.GetValueOrDefault(w) + freqs[i];
        }
        string[] keys = merged.Keys.ToArray();
        Array.Sort(keys, StringComparer.Ordinal);
        var f = new long[keys.Length];
        for (int i = 0; i < keys.Length; i++) f[i] = merged[keys[i]];
        return (keys, f);
    }
}
