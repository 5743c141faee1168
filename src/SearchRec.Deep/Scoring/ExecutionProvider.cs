namespace SearchRec.Deep.Scoring;

/// <summary>Where ONNX Runtime runs the towers.</summary>
public enum ExecutionProvider
{
    /// <summary>The CPU (always available).</summary>
    Cpu,
    /// <summary>NVIDIA CUDA, when the GPU build of ONNX Runtime is referenced (<c>-p:OnnxRuntimeGpu=true</c>); otherwise CPU with one log line.</summary>
    Cuda,
}

/// <summary>Options of <see cref="DeepScorer"/> and <see cref="BehaviourScorer"/>.</summary>
public sealed class DeepScorerOptions
{
    /// <summary>Execution provider. Default <see cref="ExecutionProvider.Cpu"/>.</summary>
    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Cpu;

    /// <summary>CUDA device index when <see cref="ExecutionProvider"/> is CUDA. Default 0.</summary>
    public int CudaDevice { get; set; }

    // 1 once the CPU fallback of the CUDA option has been logged for these options.
    internal int CudaFallbackSaid;

    /// <summary>Threads ONNX Runtime uses inside one run. Default 1: the towers are small, so one request per core scales better.</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>
    /// A user's own text tower (ONNX) replacing the trained one; null (the default) uses the model directory's.
    /// It must take the documented inputs (<c>ids</c> int64 [batch, length], <c>weights</c> float [batch, length]) and
    /// return one float [batch, dim] output; item vectors are then recomputed from the stored item texts.
    /// </summary>
    public string? TextTowerPath { get; set; }

    /// <summary>
    /// The catalog the text towers' item vectors must cover, as (product id, title) pairs; null (the default) keeps the
    /// stored vectors as they are. At open, a product the tower has no vector for, or has one for another title (a
    /// catalog changed since <c>train-deep</c>, e.g. by <c>index --update</c>), is encoded by the tower, as a query
    /// is. When most of the products the tower knows carry other titles, the tower belongs to another catalog and
    /// nothing is encoded (<c>DenseModels.CatalogMismatch</c> then names it).
    /// </summary>
    public Func<IEnumerable<KeyValuePair<string, string>>>? CoverCatalog { get; set; }

    /// <summary>A copy of these options whose towers cover <paramref name="catalog"/> (see <see cref="CoverCatalog"/>).</summary>
    public DeepScorerOptions Covering(Func<IEnumerable<KeyValuePair<string, string>>>? catalog) => new()
    {
        ExecutionProvider = ExecutionProvider, CudaDevice = CudaDevice, IntraOpThreads = IntraOpThreads, TextTowerPath = TextTowerPath,
        Log = Log, CudaFallbackSaid = Volatile.Read(ref CudaFallbackSaid), CoverCatalog = catalog,
    };

    /// <summary>Where the one-line notices go (e.g. the CUDA fallback). Default: standard error.</summary>
    public Action<string> Log { get; set; } = static m => Console.Error.WriteLine(m);

    /// <summary>Throws naming the first bad field.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(ExecutionProvider)) throw new ArgumentOutOfRangeException(nameof(ExecutionProvider), ExecutionProvider, "DeepScorerOptions.ExecutionProvider must be Cpu or Cuda.");
        if (CudaDevice < 0) throw new ArgumentOutOfRangeException(nameof(CudaDevice), CudaDevice, "DeepScorerOptions.CudaDevice must be non-negative.");
        if (IntraOpThreads < 0) throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "DeepScorerOptions.IntraOpThreads must be non-negative (0 = ONNX Runtime's default).");
        if (Log is null) throw new ArgumentNullException(nameof(Log), "DeepScorerOptions.Log must not be null.");
        if (TextTowerPath is { Length: 0 }) throw new ArgumentException("DeepScorerOptions.TextTowerPath must be null or a file path.", nameof(TextTowerPath));
    }

    /// <summary>Parses <c>cpu</c> or <c>cuda</c> (case-insensitive).</summary>
    public static ExecutionProvider ParseProvider(string text) => text.Trim().ToLowerInvariant() switch
    {
        "cpu" => ExecutionProvider.Cpu,
        "cuda" or "gpu" => ExecutionProvider.Cuda,
        _ => throw new ArgumentException($"execution provider '{text}' is unknown; use 'cpu' or 'cuda'.", nameof(text)),
    };
}
