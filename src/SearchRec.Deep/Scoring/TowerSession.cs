using Microsoft.ML.OnnxRuntime;
using SearchRec.Deep.Onnx;

namespace SearchRec.Deep.Scoring;

/// <summary>
/// One ONNX Runtime session for a tower, created once and reused (ORT's Run is thread-safe). Checks at load
/// that the model takes <c>ids</c>/<c>weights</c> and returns one float [batch, dim] output, with a message
/// naming the mismatch. An item tower with text (<c>textDim</c> &gt; 0) must also take <c>text</c> float
/// [batch, textDim] and <c>has_text</c> float [batch, 1].
/// </summary>
internal sealed class TowerSession : IDisposable
{
    private static readonly RunOptions Run = new();
    private readonly InferenceSession _session;
    private readonly string[] _inputNames = [TowerExporter.IdsInput, TowerExporter.WeightsInput];
    private readonly string[] _sideInputNames = [TowerExporter.IdsInput, TowerExporter.WeightsInput, TowerExporter.TextInput, TowerExporter.HasTextInput];
    private readonly string[] _outputNames;

    private TowerSession(InferenceSession session, string output, int dim, string path, int textDim)
    {
        _session = session; _outputNames = [output]; Dim = dim; Path = path; TextDim = textDim;
    }

    public int Dim { get; }
    /// <summary>Width of the <c>text</c> input; 0 when the tower takes none.</summary>
    public int TextDim { get; }
    public string Path { get; }

    public static TowerSession Open(string path, DeepScorerOptions options, int? expectedDim, int textDim = 0)
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
            var (output, dim) = Check(session, path, expectedDim, textDim);
            return new TowerSession(session, output, dim, path, textDim);
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
            // The build lacks CUDA for every session: said once per options (a service keeps one for its life), not
            // for each tower opened at start and at every reload.
            if (Interlocked.Exchange(ref options.CudaFallbackSaid, 1) == 0)
                options.Log($"deep: CUDA execution provider unavailable ({FirstLine(e.Message)}); running on CPU. Build with -p:OnnxRuntimeGpu=true on a machine with CUDA to use the GPU.");
        }
    }

    private static (string Output, int Dim) Check(InferenceSession s, string path, int? expectedDim, int textDim)
    {
        var inputs = s.InputMetadata;
        if (textDim > 0)
        {
            foreach (var (name, width) in new[] { (TowerExporter.TextInput, textDim), (TowerExporter.HasTextInput, 1) })
            {
                if (!inputs.TryGetValue(name, out var meta))
                    throw new InvalidDataException($"ONNX model '{path}' has no input '{name}' (it has: {string.Join(", ", inputs.Keys)}); an item tower with text must take 'ids', 'weights', 'text' float [batch, {textDim}] and 'has_text' float [batch, 1].");
                if (meta.ElementType != typeof(float))
                    throw new InvalidDataException($"ONNX model '{path}': input '{name}' is {meta.ElementType.Name}, expected Single.");
                if (meta.Dimensions.Length != 2 || (meta.Dimensions[1] > 0 && meta.Dimensions[1] != width))
                    throw new InvalidDataException($"ONNX model '{path}': input '{name}' has shape [{string.Join(", ", meta.Dimensions)}], expected [batch, {width}].");
            }
        }
        foreach (var (name, type) in new[] { (TowerExporter.IdsInput, typeof(long)), (TowerExporter.WeightsInput, typeof(float)) })
        {
            if (!inputs.TryGetValue(name, out var meta))
                throw new InvalidDataException($"ONNX model '{path}' has no input '{name}' (it has: {string.Join(", ", inputs.Keys)}); a tower must take 'ids' int64 [batch, length] and 'weights' float [batch, length].");
            if (meta.ElementType != type)
                throw new InvalidDataException($"ONNX model '{path}': input '{name}' is {meta.ElementType.Name}, expected {type.Name}.");
            if (meta.Dimensions.Length != 2)
                throw new InvalidDataException($"ONNX model '{path}': input '{name}' has rank {meta.Dimensions.Length}, expected 2 [batch, length].");
        }
        var expectedInputs = textDim > 0 ? 4 : 2;
        if (inputs.Count != expectedInputs)
            throw new InvalidDataException(textDim > 0
                ? $"ONNX model '{path}' has {inputs.Count} inputs ({string.Join(", ", inputs.Keys)}); expected exactly 'ids', 'weights', 'text' and 'has_text'."
                : $"ONNX model '{path}' has {inputs.Count} inputs ({string.Join(", ", inputs.Keys)}); expected exactly 'ids' and 'weights'.");
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
            using var text = OrtValue.CreateTensorValueFromMemory(new float[2 * Math.Max(textDim, 1)], [2, Math.Max(textDim, 1)]);
            using var has = OrtValue.CreateTensorValueFromMemory(new float[] { 0, 1 }, [2, 1]);
            using var res = textDim > 0
                ? s.Run(Run, [TowerExporter.IdsInput, TowerExporter.WeightsInput, TowerExporter.TextInput, TowerExporter.HasTextInput], [ids, w, text, has], [outName])
                : s.Run(Run, [TowerExporter.IdsInput, TowerExporter.WeightsInput], [ids, w], [outName]);
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
        using var idv = Aligned(ids.AsSpan(0, n), [batch, length]);
        using var wv = Aligned(weights.AsSpan(0, n), [batch, length]);
        using var res = _session.Run(Run, _inputNames, [idv, wv], _outputNames);
        res[0].GetTensorDataAsSpan<float>()[..(batch * Dim)].CopyTo(output);
    }

    /// <summary>Runs a batch of an item tower with text: <paramref name="text"/> is [batch, TextDim], <paramref name="hasText"/> [batch].</summary>
    public void Encode(long[] ids, float[] weights, float[] text, float[] hasText, int batch, int length, Span<float> output)
    {
        if (TextDim == 0) throw new InvalidOperationException($"ONNX model '{Path}' was opened without a text input.");
        var n = batch * length;
        using var idv = Aligned(ids.AsSpan(0, n), [batch, length]);
        using var wv = Aligned(weights.AsSpan(0, n), [batch, length]);
        using var tv = Aligned(text.AsSpan(0, batch * TextDim), [batch, TextDim]);
        using var hv = Aligned(hasText.AsSpan(0, batch), [batch, 1]);
        using var res = _session.Run(Run, _sideInputNames, [idv, wv, tv, hv], _outputNames);
        res[0].GetTensorDataAsSpan<float>()[..(batch * Dim)].CopyTo(output);
    }

    /// <summary>
    /// A copy of the input in ONNX Runtime's own (aligned) memory. Tensors over managed arrays made the outputs
    /// depend, in the last bits, on where the garbage collector had put the arrays, so the same user could get a
    /// different vector in another process and a retrained ranker differed from run to run.
    /// </summary>
    private static OrtValue Aligned<T>(ReadOnlySpan<T> data, long[] shape) where T : unmanaged
    {
        var type = typeof(T) == typeof(long) ? Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64 : Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float;
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);
        data.CopyTo(value.GetTensorMutableDataAsSpan<T>());
        return value;
    }

    private static string FirstLine(string s)
    {
        var i = s.IndexOf('\n');
        return (i < 0 ? s : s[..i]).Trim();
    }

    public void Dispose() => _session.Dispose();
}
