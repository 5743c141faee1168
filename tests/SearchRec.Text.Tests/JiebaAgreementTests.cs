using System.Diagnostics;
using System.Text;
using SearchRec.Testing;
using Xunit;

namespace SearchRec.Text.Tests;

public class JiebaAgreementTests
{
    private const string Python = "/usr/bin/python3";

    // Han-only words, so the comparison leaves out the (intended) differences on model numbers and punctuation.
    private static bool IsHanWord(string w) => w.Length > 0 && w.All(c => c is >= '\u4E00' and <= '\u9FFF');

    [ExternalFact(Python, "-c \"import jieba\"")]
    public void Our_words_agree_with_python_jieba_on_product_titles()
    {
        string[] parts = ["华为", "手机", "新款", "连衣裙", "纯棉", "笔记本电脑", "韩版", "宽松", "男女", "同款", "官方", "旗舰店", "正品",
            "保温杯", "扫地机器人", "羽绒服", "加厚", "冬季", "儿童", "运动鞋", "帆布鞋", "坚果", "大礼包", "口红", "防晒霜", "镜头",
            "显卡", "机械键盘", "空调", "电饭煲", "家用", "大容量", "学生", "送礼", "夏季", "女士", "梦之铭", "杭研", "七彩虹", "清华大学"];
        var rnd = new Random(11);
        var titles = new string[300];
        for (int i = 0; i < titles.Length; i++)
        {
            var sb = new StringBuilder();
            int n = rnd.Next(3, 9);
            for (int k = 0; k < n; k++) sb.Append(parts[rnd.Next(parts.Length)]);
            titles[i] = sb.ToString();
        }
        using var dir = new TempDir();
        string input = dir.Write("titles.txt", string.Join("\n", titles) + "\n");
        string script = "import jieba,sys\njieba.setLogLevel(60)\nfor l in open(sys.argv[1],encoding='utf-8'):\n print(' '.join(jieba.cut_for_search(l.strip())))\n";
        string scriptPath = dir.Write("cut.py", script);
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, StandardOutputEncoding = Encoding.UTF8 };
        psi.ArgumentList.Add(scriptPath);
        psi.ArgumentList.Add(input);
        using var p = Process.Start(psi)!;
        string[] jieba = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(p.WaitForExit(60_000));
        Assert.Equal(titles.Length, jieba.Length);

        int same = 0;
        for (int i = 0; i < titles.Length; i++)
        {
            var theirs = jieba[i].Split(' ').Where(IsHanWord).Order(StringComparer.Ordinal);
            var ours = ChineseSegmenter.Default.Cut(titles[i], SegmentMode.Search).Where(IsHanWord).Order(StringComparer.Ordinal);
            if (theirs.SequenceEqual(ours)) same++;
        }
        // Ties between equally probable paths may break differently; anything more means a real divergence.
        Assert.True(same >= titles.Length * 0.98, $"only {same}/{titles.Length} titles cut like jieba");
    }
}
