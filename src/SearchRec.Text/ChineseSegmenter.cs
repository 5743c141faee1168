using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
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

    // Word -> log(freq / total); NaN marks a prefix of a word that is not a word itself, so DAG scans go on.
    private readonly Dictionary<string, double> _words;
    private readonly Dictionary<string, double>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly double _total;
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
        _total = Math.Max(total, 1);
        _logTotal = Math.Log(_total);
        _unknownLogProb = -_logTotal;
        _words = new Dictionary<string, double>((int)(data.Words.Length * 1.25), StringComparer.Ordinal);
        _lookup = _words.GetAlternateLookup<ReadOnlySpan<char>>();
        string[] words = data.Words;
        for (int i = 0; i < words.Length; i++)
        {
            string w = TextNormalizer.Normalize(words[i]);
            ref double v = ref CollectionsMarshal.GetValueRefOrAddDefault(_words, w, out bool exists);
            long f = data.Freqs[i];
            if (f <= 0)
            {
                if (!exists) v = double.NaN;
            }
            else
            {
                // Two source words can fold to one (T恤, t恤): their frequencies add up.
                double prior = exists && !double.IsNaN(v) ? Math.Exp(v + _logTotal) : 0;
                v = Math.Log(prior + f) - _logTotal;
            }
        }
        foreach (string w in words) AddPrefixes(TextNormalizer.Normalize(w));
        _start = data.StartLogProb;
        _trans = data.TransLogProb;
        _emit = data.EmitLogProb;
    }

    /// <summary>The shared segmenter over the embedded dictionary, loaded on first use.</summary>
    public static ChineseSegmenter Default => s_default.Value;

    /// <summary>Number of dictionary words (not counting prefix entries).</summary>
    internal int WordCount
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                int n = 0;
                foreach (double v in _words.Values) if (!double.IsNaN(v)) n++;
                return n;
            }
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
        foreach (string line in File.ReadLines(path))
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
        _lock.EnterReadLock();
        try
        {
            int n = text.Length;
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
                SegmentBlock(text, i, j, mode, output);
                i = j;
            }
        }
        finally { _lock.ExitReadLock(); }
    }

    private void SegmentBlock(ReadOnlySpan<char> text, int blockStart, int blockEnd, SegmentMode mode, TokenBuffer output)
    {
        int m = blockEnd - blockStart;
        ReadOnlySpan<char> block = text.Slice(blockStart, m);
        int[] unitEnd = ArrayPool<int>.Shared.Rent(m);
        int[] routeEnd = ArrayPool<int>.Shared.Rent(m);
        double[] routeProb = ArrayPool<double>.Shared.Rent(m + 1);
        try
        {
            MarkUnits(block, unitEnd);
            BestRoute(block, unitEnd, routeEnd, routeProb);

            int k = 0, buf = -1;
            while (k < m)
            {
                int e = routeEnd[k];
                if (e - k == 1 && CharClass.IsHan(block[k]))
                {
                    if (buf < 0) buf = k;
                    k = e;
                    continue;
                }
                if (buf >= 0)
                {
                    FlushSingles(block, buf, k, blockStart, mode, output);
                    buf = -1;
                }
                EmitWord(block, k, e, blockStart, mode, output);
                k = e;
            }
            if (buf >= 0) FlushSingles(block, buf, m, blockStart, mode, output);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(unitEnd);
            ArrayPool<int>.Shared.Return(routeEnd);
            ArrayPool<double>.Shared.Return(routeProb);
        }
    }

    // unitEnd[k]: end of the atomic unit starting at k (a Han char, or a whole letter/digit run); 0 inside a run.
    private static void MarkUnits(ReadOnlySpan<char> block, int[] unitEnd)
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

    // Right-to-left dynamic programme over the DAG: routeProb[k] = best log-probability of block[k..].
    private void BestRoute(ReadOnlySpan<char> block, int[] unitEnd, int[] routeEnd, double[] routeProb)
    {
        int m = block.Length;
        routeProb[m] = 0;
        for (int k = m - 1; k >= 0; k--)
        {
            int e0 = unitEnd[k];
            if (e0 == 0)
            {
                routeProb[k] = double.NegativeInfinity;
                routeEnd[k] = k + 1;
                continue;
            }
            double lp = _lookup.TryGetValue(block[k..e0], out double v0) && !double.IsNaN(v0) ? v0 : _unknownLogProb;
            double best = lp + routeProb[e0];
            int bestEnd = e0;
            for (int e = k + 1; e <= m; e++)
            {
                if (!_lookup.TryGetValue(block[k..e], out double v)) break;
                // Skip prefix-only entries, the unit itself, and words ending inside a letter/digit run.
                if (e == e0 || double.IsNaN(v) || (e < m && unitEnd[e] == 0)) continue;
                double cand = v + routeProb[e];
                if (cand > best || (cand == best && e > bestEnd))
                {
                    best = cand;
                    bestEnd = e;
                }
            }
            routeProb[k] = best;
            routeEnd[k] = bestEnd;
        }
    }

    // A stretch of single Han characters on the best path: a known word is kept as single chars (as jieba does),
    // an unknown stretch goes through the HMM, which may join characters into new words.
    private void FlushSingles(ReadOnlySpan<char> block, int start, int end, int offset, SegmentMode mode, TokenBuffer output)
    {
        if (end - start == 1)
        {
            output.Add(offset + start, 1, 1);
            return;
        }
        if (_lookup.TryGetValue(block[start..end], out double v) && !double.IsNaN(v))
        {
            for (int k = start; k < end; k++) output.Add(offset + k, 1, 1);
            return;
        }
        Viterbi(block, start, end, offset, mode, output);
    }

    private void EmitWord(ReadOnlySpan<char> block, int start, int end, int offset, SegmentMode mode, TokenBuffer output)
    {
        int len = end - start;
        output.Add(offset + start, len, 1);
        if (mode != SegmentMode.Search || len <= 2 || !CharClass.IsHan(block[start])) return;
        // Sub-words stack on the word's position (increment 0), ordered by start so offsets never go back.
        for (int s = start; s + 2 <= end; s++)
        {
            if (IsWord(block.Slice(s, 2))) output.Add(offset + s, 2, 0);
            if (len > 3 && s + 3 <= end && IsWord(block.Slice(s, 3))) output.Add(offset + s, 3, 0);
        }
    }

    private bool IsWord(ReadOnlySpan<char> span) => _lookup.TryGetValue(span, out double v) && !double.IsNaN(v);

    // States: 0 B(egin), 1 M(iddle), 2 E(nd), 3 S(ingle).
    private void Viterbi(ReadOnlySpan<char> block, int start, int end, int offset, SegmentMode mode, TokenBuffer output)
    {
        int len = end - start;
        double[] prob = ArrayPool<double>.Shared.Rent(len * 4);
        byte[] back = ArrayPool<byte>.Shared.Rent(len * 4);
        try
        {
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
            // Backtrack into back[] row 0.. as the chosen state per position (reusing the tail of prob is not needed).
            Span<byte> states = len <= 256 ? stackalloc byte[len] : new byte[len];
            for (int t = len - 1; t >= 0; t--)
            {
                states[t] = (byte)state;
                state = back[t * 4 + state];
            }
            int begin = 0, next = 0;
            for (int t = 0; t < len; t++)
            {
                switch (states[t])
                {
                    case 0:
                        begin = t;
                        break;
                    case 2:
                        EmitWord(block, start + begin, start + t + 1, offset, mode, output);
                        next = t + 1;
                        break;
                    case 3:
                        output.Add(offset + start + t, 1, 1);
                        next = t + 1;
                        break;
                }
            }
            if (next < len) EmitWord(block, start + next, end, offset, mode, output);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(prob);
            ArrayPool<byte>.Shared.Return(back);
        }
    }

    private void Step(double[] prob, byte[] back, int prev, int row, int to, int fromA, int fromB, double emit)
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
        if (frequency == 0)
        {
            // As jieba's suggest_freq: just above the probability of the best split into existing words.
            double split = BestSplitLogProb(key);
            double f = Math.Floor(Math.Exp(split + _logTotal)) + 1;
            if (_words.TryGetValue(key, out double old) && !double.IsNaN(old)) f = Math.Max(f, Math.Exp(old + _logTotal));
            _words[key] = Math.Log(f) - _logTotal;
        }
        else
        {
            _words[key] = Math.Log(frequency) - _logTotal;
        }
        AddPrefixes(key);
    }

    private double BestSplitLogProb(string key)
    {
        int m = key.Length;
        int[] unitEnd = new int[m];
        int[] routeEnd = new int[m];
        double[] routeProb = new double[m + 1];
        MarkUnits(key, unitEnd);
        bool had = _words.Remove(key, out double saved);
        BestRoute(key, unitEnd, routeEnd, routeProb);
        if (had) _words[key] = saved;
        return routeProb[0];
    }

    private void AddPrefixes(string word)
    {
        for (int p = 1; p < word.Length; p++)
        {
            if (!_lookup.ContainsKey(word.AsSpan(0, p))) _words.Add(word[..p], double.NaN);
        }
    }
}
