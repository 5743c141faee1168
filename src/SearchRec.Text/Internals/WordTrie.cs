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
    // One 16-byte record per node, so a DAG step touches one cache line for the value and the child block.
    private Node[] _node;
    private Edge[] _edge;
    private int _nodes = 1;
    private int _edges;

    /// <summary>Builds the trie from words sorted ordinally without duplicates.</summary>
    public WordTrie(string[] sortedWords, double[] values)
    {
        int capacity = Math.Max(16, sortedWords.Length * 2);
        _node = new Node[capacity];
        _edge = new Edge[capacity];
        _node[Root].Value = double.NaN;
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
            for (int i = 1; i < _nodes; i++) if (!double.IsNaN(_node[i].Value)) n++;
            return n;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int RootChild(char c) => _rootChild[c];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Value(int node) => _node[node].Value;

    public int Child(int node, char c)
    {
        ref readonly Node n = ref _node[node];
        int start = n.ChildStart, count = n.ChildCount;
        Edge[] edges = _edge;
        if (count <= 8)
        {
            for (int k = start, end = start + count; k < end; k++)
            {
                if (edges[k].Char == c) return edges[k].Node;
            }
            return None;
        }
        int lo = start, hi = start + count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            char mc = edges[mid].Char;
            if (mc == c) return edges[mid].Node;
            if (mc < c) lo = mid + 1;
            else hi = mid - 1;
        }
        return None;
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
        return node == None ? double.NaN : _node[node].Value;
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
        _node[node].Value = value;
    }

    private void Build(int node, int depth, string[] words, double[] values, int lo, int hi)
    {
        // The word equal to the prefix (if any) sorts first in its range.
        if (words[lo].Length == depth)
        {
            _node[node].Value = values[lo];
            lo++;
        }
        if (lo >= hi) return;
        int groups = 0;
        for (int i = lo; i < hi; i++)
        {
            if (i == lo || words[i][depth] != words[i - 1][depth]) groups++;
        }
        int start = ReserveEdges(groups);
        _node[node].ChildStart = start;
        _node[node].ChildCount = groups;
        int g = 0, from = lo;
        for (int i = lo + 1; i <= hi; i++)
        {
            if (i < hi && words[i][depth] == words[from][depth]) continue;
            int child = NewNode();
            _edge[start + g] = new Edge(child, words[from][depth]);
            g++;
            Build(child, depth + 1, words, values, from, i);
            from = i;
        }
    }

    private int AddChild(int node, char c)
    {
        // Move the node's block to the end of the pool with the new edge in order (the old block is abandoned).
        int start = _node[node].ChildStart, count = _node[node].ChildCount;
        int child = NewNode();
        int newStart = ReserveEdges(count + 1);
        int k = 0;
        while (k < count && _edge[start + k].Char < c)
        {
            _edge[newStart + k] = _edge[start + k];
            k++;
        }
        _edge[newStart + k] = new Edge(child, c);
        for (; k < count; k++) _edge[newStart + k + 1] = _edge[start + k];
        _node[node].ChildStart = newStart;
        _node[node].ChildCount = count + 1;
        return child;
    }

    private int NewNode()
    {
        if (_nodes == _node.Length) Array.Resize(ref _node, _node.Length * 2);
        _node[_nodes] = new Node { Value = double.NaN };
        return _nodes++;
    }

    private int ReserveEdges(int n)
    {
        if (_edges + n > _edge.Length) Array.Resize(ref _edge, Math.Max(_edge.Length * 2, _edges + n));
        int start = _edges;
        _edges += n;
        return start;
    }

    private struct Node
    {
        public double Value;
        public int ChildStart;
        public int ChildCount;
    }

    private readonly struct Edge(int node, char c)
    {
        public readonly int Node = node;
        public readonly char Char = c;
    }
}
