namespace SearchRec.Text;

/// <summary>How <see cref="ChineseSegmenter"/> cuts text.</summary>
public enum SegmentMode
{
    /// <summary>The most probable segmentation only: each character belongs to exactly one word.</summary>
    Accurate,

    /// <summary>
    /// The accurate words, plus the dictionary words of two and three characters inside each longer word
    /// (<c>笔记本电脑</c> also yields <c>笔记本</c>, <c>电脑</c>), for recall.
    /// </summary>
    Search,
}
