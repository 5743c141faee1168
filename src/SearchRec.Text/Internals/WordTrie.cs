using System.Runtime.CompilerServices;

namespace SearchRec.Text.Internals;

/// <summary>
/// Character trie over the dictionary, in flat arrays: a direct table for the first character, then each node's
/// children as one sorted block in a shared edge pool. Walking it character by character finds every dictionary
/// word starting at a position without hashing or string compares. A node's value is the word's log-probability,
/// NaN when the node is only a prefix. Not thread-safe for writes; the segmenter guards it with a lock.
/// </summary>
internal sealed class WordTrie
{
    public const int None = 0;
    private const int Root = 0;

    private readonly int[] _rootChild = new int[65536];
    private int[] _childStart;
    private int[] _childCount;
    private double[] _value;
    private char[] _edgeChar;
    private int[] _edgeNode;
    private int _nodes = 1;
    private int _edges;

    /// <summary>Builds the trie from words sorted ordinally without duplicates.</summary>
    public WordTrie(string[] sortedWords, double[] values)
    {
        int capacity = Math.Max(16, sortedWords.Length * 2);
        _childStart = new int[capacity];
        _childCount = new int[capacity];
        _value = new double[capacity];
        _edgeChar = new char[capacity];
        _edgeNode = new int[capacity];
        _value[Root] = double.NaN;
        // Root children go to the direct table; deeper levels are built range by range (words sharing a prefix are contiguous).
        int i = 0;
        while (i < sortedWords.Length)
        {
            char c = sortedWords[i][0];
            int j = i;
            while (j < sortedWords.Length && sortedWords[j][0] == c) j++;
            int node = NewNode();
            _rootChild[c] = node;
            Build(node, 1, sortedWords, values, i, j);
            i = j;
        }
    }

    /// <summary>Number of nodes holding a word.</summary>
    public int WordCount
    {
        get
        {
            int n = 0;
            for (int i = 1; i < _nodes; i++) if (!double.IsNaN(_value[i])) n++;
            return n;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int RootChild(char c) => _rootChild[c];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Value(int node) => _value[node];

    public int Child(int node, char c)
    {
        int start = _childStart[node], count = _childCount[node];
        if (count <= 8)
        {
            for (int k = start, end = start + count; k < end; k++)
            {
                if (_edgeChar[k] == c) return _edgeNode[k];
            }
            return None;
        }
        int idx = Array.BinarySearch(_edgeChar, start, count, c);
        return idx >= 0 ? _edgeNode[idx] : None;
    }

    /// <summary>The node of <paramref name="word"/>, or <see cref="None"/>.</summary>
    public int Find(ReadOnlySpan<char> word)
    {
        if (word.IsEmpty) return None;
        int node = _rootChild[word[0]];
        for (int i = 1; i < word.Length && node != None; i++) node = Child(node, word[i]);
        return node;
    }

    /// <summary>The log-probability of a dictionary word, or NaN when it is not one.</summary>
    public double WordValue(ReadOnlySpan<char> word)
    {
        int node = Find(word);
        return node == None ? double.NaN : _value[node];
    }

    /// <summary>Sets a word's value (NaN removes it as a word but keeps it as a prefix), adding nodes as needed.</summary>
    public void Set(ReadOnlySpan<char> word, double value)
    {
        int node = _rootChild[word[0]];
        if (node == None)
        {
            node = NewNode();
            _rootChild[word[0]] = node;
        }
        for (int i = 1; i < word.Length; i++)
        {
            int child = Child(node, word[i]);
            if (child == None) child = AddChild(node, word[i]);
            node = child;
        }
        _value[node] = value;
    }

    private void Build(int node, int depth, string[] words, double[] values, int lo, int hi)
    {
        // The word equal to the prefix (if any) sorts first in its range.
        if (words[lo].Length == depth)
        {
            _value[node] = values[lo];
            lo++;
        }
        if (lo >= hi) return;
        int groups = 0;
        for (int i = lo; i < hi; i++)
        {
            if (i == lo || words[i][depth] != words[i - 1][depth]) groups++;
        }
        int start = ReserveEdges(groups);
        _childStart[node] = start;
        _childCount[node] = groups;
        int g = 0, from = lo;
        for (int i = lo + 1; i <= hi; i++)
        {
            if (i < hi && words[i][depth] == words[from][depth]) continue;
            int child = NewNode();
            _edgeChar[start + g] = words[from][depth];
            _edgeNode[start + g] = child;
            g++;
            Build(child, depth + 1, words, values, from, i);
            from = i;
        }
    }

    private int AddChild(int node, char c)
    {
        // Move the node's block to the end of the pool with the new edge in order (the old block is abandoned).
        int start = _childStart[node], count = _childCount[node];
        int child = NewNode();
        int newStart = ReserveEdges(count + 1);
        int k = 0;
        while (k < count && _edgeChar[start + k] < c)
        {
            _edgeChar[newStart + k] = _edgeChar[start + k];
            _edgeNode[newStart + k] = _edgeNode[start + k];
            k++;
        }
        _edgeChar[newStart + k] = c;
        _edgeNode[newStart + k] = child;
        for (; k < count; k++)
        {
            _edgeChar[newStart + k + 1] = _edgeChar[start + k];
            _edgeNode[newStart + k + 1] = _edgeNode[start + k];
        }
        _childStart[node] = newStart;
        _childCount[node] = count + 1;
        return child;
    }

    private int NewNode()
    {
        if (_nodes == _value.Length)
        {
            int size = _value.Length * 2;
            Array.Resize(ref _childStart, size);
            Array.Resize(ref _childCount, size);
            Array.Resize(ref _value, size);
        }
        _value[_nodes] = double.NaN;
        _childStart[_nodes] = 0;
        _childCount[_nodes] = 0;
        return _nodes++;
    }

    private int ReserveEdges(int n)
    {
        if (_edges + n > _edgeChar.Length)
        {
            int size = Math.Max(_edgeChar.Length * 2, _edges + n);
            Array.Resize(ref _edgeChar, size);
            Array.Resize(ref _edgeNode, size);
        }
        int start = _edges;
        _edges += n;
        return start;
    }
}
