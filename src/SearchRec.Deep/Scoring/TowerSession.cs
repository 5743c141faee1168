using Microsoft.ML.OnnxRuntime;
using SearchRec.Deep.Onnx;

namespace SearchRec.Deep.Scoring;

/// <summary>
/// One ONNX Runtime session for a tower, created once and reused (ORT's Run is thread-safe). Checks at load
/// that the model takes <c>ids</c>/<c>weights</c> and returns one float [batch, dim] output, with a message
/// naming the mismatch.
/// </summary>
internal sealed class TowerSession : IDisposable
{
    private static readonly RunOptions Run = new();
    private readonly InferenceSession _session;
    private readonly string[] _inputNames = [TowerExporter.IdsInput, TowerExporter.WeightsInput];
    private readonly string[] _outputNames;

    private TowerSession(InferenceSession session, string output, int dim, string path)
    {
        _session = session; _outputNames = [output]; Dim = dim; Path = path;
    }

    public int Dim { get; }
    public string Path { get; }

    public static TowerSession Open(string path, DeepScorerOptions options, int? expectedDim)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);
        if (info.Length == 0) throw new InvalidDataException($"ONNX model '{path}' is empty (0 bytes).");
        var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (options.IntraOpThreads > 0) so.IntraOpNumThreads = options.IntraOpThreads;
        if (options.ExecutionProvider == ExecutionProvider.Cuda) AppendCuda(so, options);
        InferenceSession session;
        try { session = new InferenceSession(path, so); }
        catch (OnnxRuntimeException e) { so.Dispose(); throw new InvalidDataException($"'{path}' is not a readable ONNX model: {FirstLine(e.Message)}", e); }
        try
        {
            var (output, dim) = Check(session, path, expectedDim);
            return new TowerSession(session, output, dim, path);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static void AppendCuda(SessionOptions so, DeepScorerOptions options)
    {
        try { so.AppendExecutionProvider_CUDA(options.CudaDevice); }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            options.Log($"deep: CUDA execution provider unavailable ({FirstLine(e.Message)}); running on CPU. Build with -p:OnnxRuntimeGpu=true on a machine with CUDA to use the GPU.");
        }
    }

    private static (string Output, int Dim) Check(InferenceSession s, string path, int? expectedDim)
    {
        var inputs = s.InputMetadata;
        foreach (var (name, type) in new[] { (TowerExporter.IdsInput, typeof(long)), (TowerExporter.WeightsInput, typeof(float)) })
        {
            if (!inputs.TryGetValue(name, out var meta))
                throw new InvalidDataException($"ONNX model '{path}' has no input '{name}' (it has: {string.Join(", ", inputs.Keys)}); a tower must take 'ids' int64 [batch, length] and 'weights' float [batch, length].");
            if (meta.ElementType != type)
                throw new InvalidDataException($"ONNX model '{path}': input '{name}' is {meta.ElementType.Name}, expected {type.Name}.");
            if (meta.Dimensions.Length != 2)
                throw new InvalidDataException($"ONNX model '{path}': input '{name}' has rank {meta.Dimensions.Length}, expected 2 [batch, length].");
        }
        if (inputs.Count != 2)
            throw new InvalidDataException($"ONNX model '{path}' has {inputs.Count} inputs ({string.Join(", ", inputs.Keys)}); expected exactly 'ids' and 'weights'.");
        if (s.OutputMetadata.Count != 1)
            throw new InvalidDataException($"ONNX model '{path}' has {s.OutputMetadata.Count} outputs; expected one float [batch, dim] vector.");
        var (outName, outMeta) = s.OutputMetadata.First();
        if (outMeta.ElementType != typeof(float) || outMeta.Dimensions.Length != 2)
            throw new InvalidDataException($"ONNX model '{path}': output '{outName}' is {outMeta.ElementType.Name} of rank {outMeta.Dimensions.Length}; expected float [batch, dim].");
        // A probe run catches what metadata cannot (e.g. a dim that is only known at run time).
        int dim;
        try
        {
            using var ids = OrtValue.CreateTensorValueFromMemory(new long[] { 0, 0 }, [2, 1]);
            using var w = OrtValue.CreateTensorValueFromMemory(new float[] { 0, 0 }, [2, 1]);
            using var res = s.Run(Run, [TowerExporter.IdsInput, TowerExporter.WeightsInput], [ids, w], [outName]);
            var shape = res[0].GetTensorTypeAndShape().Shape;
            if (shape.Length != 2 || shape[0] != 2)
                throw new InvalidDataException($"ONNX model '{path}': output '{outName}' has shape [{string.Join(", ", shape)}] for a batch of 2; expected [2, dim].");
            dim = checked((int)shape[1]);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"ONNX model '{path}' fails on a probe input: {FirstLine(e.Message)}", e);
        }
        if (dim < 1) throw new InvalidDataException($"ONNX model '{path}': output '{outName}' has dim {dim}.");
        if (expectedDim is { } d && d != dim)
            throw new InvalidDataException($"ONNX model '{path}': output '{outName}' has dim {dim}, but the item vectors have dim {d}.");
        return (outName, dim);
    }

    /// <summary>Runs a batch: <paramref name="ids"/> and <paramref name="weights"/> are [batch, length] row-major; writes [batch, Dim] into <paramref name="output"/>.</summary>
    public void Encode(long[] ids, float[] weights, int batch, int length, Span<float> output)
    {
        var n = batch * length;
        using var idv = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ids.AsMemory(0, n), [batch, length]);
        using var wv = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, weights.AsMemory(0, n), [batch, length]);
        using var res = _session.Run(Run, _inputNames, [idv, wv], _outputNames);
        res[0].GetTensorDataAsSpan<float>()[..(batch * Dim)].CopyTo(output);
    }

    private static string FirstLine(string s)
    {
        var i = s.IndexOf('\n');
        return (i < 0 ? s : s[..i]).Trim();
    }

    public void Dispose() => _session.Dispose();
}
